"""Benchmark: /stats with its four charts on a large office database.

    .venv/bin/python tests/benchmarks/bench_stats.py        # 100,000 projects, 1,000,000
                                                            # searches, 10,000 leads
    .venv/bin/python tests/benchmarks/bench_stats.py --projects 10000 --searches 100000 --leads 1000

The database is real SQLite built by the migrations; /stats goes through the real Application
(process_update, the in-memory Bot API), so the figures include the queries, drawing the PNGs
and the Bot API calls an admin waits for. Each run first logs a few new searches and leads, so
no run answers from figures an earlier one left in a cache. Printed: seeding time, then each
run's time from the update to the last photo, and the slowest.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botharness import BotHarness  # noqa: E402
from botsetup import ADMIN_ID, bare_services  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from catalog.db import session_scope  # noqa: E402
from catalog.models import LEAD_STATUSES, Investor, Lead, Project, QueryLog, utcnow  # noqa: E402

INDUSTRIES = [
    "新能源",
    "数字经济",
    "现代物流",
    "文化旅游",
    "智能制造",
    "医疗卫生",
    "氢能",
    "半导体",
]
REGIONS = ["山西省太原市", "陕西省榆林市", "贵州省贵阳市", "湖北省武汉市", "广东省佛山市"]
WORDS = ["光伏", "储能", "数据中心", "冷链", "康养", "体育场馆", "海水淡化", "西藏", "海南", "氢能"]
CHUNK = 20_000


def seed(svc: object, projects: int, searches: int, leads: int) -> None:
    from bot.services import Services

    assert isinstance(svc, Services)
    rng = random.Random(15)
    now = utcnow()
    with session_scope(svc.db) as session:
        for start in range(0, projects, CHUNK):
            session.execute(
                insert(Project),
                [
                    {
                        "code": f"P-{i:06d}",
                        "name": f"项目{i}",
                        "batch": f"{2020 + i % 6}-{1 + i % 4}",
                        "region": REGIONS[i % len(REGIONS)],
                        "industry": INDUSTRIES[i % len(INDUSTRIES)],
                        "summary": f"第{i}号项目",
                        "tags": [],
                        "status": "published" if i % 10 else "withdrawn",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(start, min(projects, start + CHUNK))
                ],
            )
        investors = max(1, leads // 2)
        session.execute(
            insert(Investor),
            [
                {
                    "telegram_user_id": 50_000_000 + i,
                    "sectors": [],
                    "regions": [],
                    "cooperation_modes": [],
                    "stages": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(investors)
            ],
        )
        for start in range(0, searches, CHUNK):
            rows = []
            for _ in range(start, min(searches, start + CHUNK)):
                words = " ".join(rng.sample(WORDS, 2)) + f" {rng.randint(1, 3000)}"
                rows.append(
                    {
                        "at": now - timedelta(seconds=rng.randint(0, 365 * 86400)),
                        "query": words,
                        "normalized": words,
                        "results": 0 if rng.random() < 0.15 else rng.randint(1, 9),
                        "investor_id": rng.randint(1, investors),
                    }
                )
            session.execute(insert(QueryLog), rows)
        session.execute(
            insert(Lead),
            [
                {
                    "project_id": rng.randint(1, projects),
                    "investor_id": 1 + i % investors,
                    "status": rng.choice(LEAD_STATUSES),
                    "share_contact": i % 2 == 0,
                    "created_at": now - timedelta(days=rng.randint(0, 365)),
                    "touched_at": now,
                }
                for i in range(leads)
            ],
        )


def fresh_activity(svc: object, run: int) -> None:
    """A few new searches and a lead, so every run reads changed tables."""
    from bot.services import Services

    assert isinstance(svc, Services)
    with session_scope(svc.db) as session:
        for k in range(5):
            words = f"新查询 {run}-{k}"
            session.add(QueryLog(query=words, normalized=words, results=k % 2))
        session.add(Lead(project_id=1 + run, investor_id=1))


async def measure(svc: object, runs: int) -> list[float]:
    from bot.services import Services

    assert isinstance(svc, Services)
    times = []
    async with BotHarness(svc.settings, svc) as bot:
        bot.user(ADMIN_ID, language_code="zh")
        for run in range(runs):
            fresh_activity(svc, run)
            start = time.perf_counter()
            calls = await bot.send(ADMIN_ID, "/stats")
            times.append(time.perf_counter() - start)
            assert calls.methods.count("sendPhoto") == 4, calls.methods
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tuijie-bench-stats-"))
    try:
        svc = bare_services(root)
        start = time.perf_counter()
        seed(svc, args.projects, args.searches, args.leads)
        print(
            f"seeded {args.projects:,} projects, {args.searches:,} searches, {args.leads:,} leads "
            f"in {time.perf_counter() - start:.1f} s"
        )
        times = asyncio.run(measure(svc, args.runs))
        for n, seconds in enumerate(times, start=1):
            print(f"/stats run {n}: {seconds:.2f} s (text + 4 charts)")
        verdict = "under" if max(times) < 3 else "NOT under"
        print(f"slowest /stats: {max(times):.2f} s ({verdict} the 3 s target)")
        svc.db.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
