"""Benchmark: announce a batch to N subscribers through `tuijie run` against the fake Bot API.

    .venv/bin/python tests/benchmarks/bench_broadcast.py            # 10,000 subscribers (~7 min)
    .venv/bin/python tests/benchmarks/bench_broadcast.py --n 1000   # a quicker run

The bot runs as its own process (the real entry point); the fake server runs here and stamps
every message request it receives. Printed: the sustained digest rate (first to last digest),
the most messages in any one-second window (digests, progress edits and replies together),
per-chat spacing, how long replies to a user took while the broadcast was running, and the
total time from /publish to the admin's final figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakebotapi import FakeBotAPI, max_in_window  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.local.api import Fault  # noqa: E402
from catalog.db import open_database, session_scope, sqlite_url  # noqa: E402
from catalog.models import Investor, Project, Subscription, utcnow  # noqa: E402

ADMIN = 990_001
PROBE = 990_002  # an investor who keeps talking to the bot during the broadcast
FIRST_CHAT = 10_000_000
BATCH = "BENCH-1"


def seed(data_dir: Path, n: int) -> None:
    """Three projects in one batch and n investors subscribed to every batch."""
    engine = open_database(sqlite_url(data_dir))
    now = utcnow()
    with session_scope(engine) as session:
        for i, name in enumerate(["太原半导体生态科技港", "山西贝尔油库扩建", "求解器智算中心"]):
            session.add(Project(code=f"B-{i}", name=name, batch=BATCH, summary=name))
        for start in range(0, n, 5000):
            chats = range(FIRST_CHAT + start, FIRST_CHAT + min(n, start + 5000))
            session.execute(
                insert(Investor),
                [{"telegram_user_id": c, "chat_id": c, "language": "zh", "sectors": [],
                  "regions": [], "cooperation_modes": [], "stages": [], "created_at": now,
                  "updated_at": now} for c in chats],
            )  # fmt: skip
        session.flush()
        ids = session.execute(
            Investor.__table__.select().with_only_columns(Investor.__table__.c.id)  # type: ignore[attr-defined]
        ).scalars()
        session.execute(
            insert(Subscription),
            [{"investor_id": i, "chat_id": FIRST_CHAT + i - 1, "mode": "all", "sectors": [],
              "regions": [], "active": True, "created_at": now, "updated_at": now}
             for i in ids],
        )  # fmt: skip
    engine.dispose()


def over(times: list[float], limit: int, window: float = 1.0) -> int:
    """How many requests arrived with more than `limit` requests in the second ending at them."""
    times = sorted(times)
    count, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        count += end - start + 1 > limit
    return count


async def run(n: int, keep: bool) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="tuijie-bench-broadcast-"))
    t_seed = time.monotonic()
    seed(tmp / "data", n)
    print(f"seeded {n} subscribers in {time.monotonic() - t_seed:.1f} s")
    messages: list[float] = []
    digests: list[float] = []
    last_to_chat: dict[int, float] = {}
    too_close = 0
    replies: list[float] = []
    probe_sent: list[float] = []

    def observe(chat: int | None) -> bool:
        nonlocal too_close
        now = time.monotonic()
        messages.append(now)
        if chat is None:
            return False
        if chat == PROBE:
            if probe_sent:
                replies.append(now - probe_sent[-1])
        elif chat != ADMIN:
            digests.append(now)
            if chat in last_to_chat and now - last_to_chat[chat] < 1.0:
                too_close += 1
        last_to_chat[chat] = now
        return False

    async with FakeBotAPI() as server:
        server.user(ADMIN, language_code="en")
        server.user(PROBE, language_code="en")
        for i in range(n):
            server.user(FIRST_CHAT + i)
        # The server stamps a request when its handler runs: a collector pause here would hold
        # requests that arrived spread out and stamp them together. No GC while measuring.
        gc.collect()
        gc.freeze()
        gc.disable()
        for method in ("sendMessage", "editMessageText", "sendDocument"):
            server.add_fault(Fault(method, 0, count=10**12, chat=observe))
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": server.token,
               "TUIJIE_TELEGRAM_API_URL": server.base_url, "TUIJIE_DATA_DIR": str(tmp / "data"),
               "TUIJIE_ADMIN_IDS": str(ADMIN)}  # fmt: skip
        env.pop("TUIJIE_DATABASE_URL", None)
        log = open(tmp / "bot.log", "w", encoding="utf-8")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env, stdout=log, stderr=log)
        try:
            while server.get_updates_calls == 0:
                if proc.poll() is not None:
                    print((tmp / "bot.log").read_text()[-3000:])
                    return 1
                await asyncio.sleep(0.1)
            started = time.monotonic()
            await server.send_text(ADMIN, f"/publish {BATCH}")
            last_probe = 0.0
            while len(digests) < n:
                await asyncio.sleep(0.2)
                now = time.monotonic()
                if now - last_probe >= 5.0 and len(digests) > 0:
                    last_probe = now
                    probe_sent.append(now)
                    await server.send_text(PROBE, "/help")
                if proc.poll() is not None:
                    print((tmp / "bot.log").read_text()[-3000:])
                    return 1
                if len(digests) and now - digests[-1] > 60:
                    print(f"stalled at {len(digests)} digests")
                    return 1
            final = await server.wait_for(
                "editMessageText", chat_id=ADMIN,
                where=lambda c: (c.text or "").startswith("✅"), timeout=60,
            )  # fmt: skip
            total = time.monotonic() - started
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()

    span = digests[-1] - digests[0]
    sustained = (len(digests) - 1) / span if span > 0 else float("nan")
    print(f"subscribers                 {n}")
    print(f"digests delivered           {len(digests)}")
    print(f"sustained digest rate       {sustained:.2f} /s  (first to last digest, {span:.1f} s)")
    print(f"busiest one-second window   {max_in_window(messages)} messages (all kinds)")
    print(f"busiest window, digests     {max_in_window(digests)}")
    print(f"requests over 25 in the second before them  {over(messages, 25)} of {len(messages)}")
    print(f"same chat within 1 s        {too_close}")
    if replies:
        median = statistics.median(replies)
        print(
            f"replies during broadcast    {len(replies)}, median {median:.3f} s,"
            f" max {max(replies):.3f} s"
        )
    busiest_client = [
        line.rsplit(":", 1)[-1].strip()
        for line in (tmp / "bot.log").read_text(encoding="utf-8").splitlines()
        if "busiest second so far" in line
    ]
    if busiest_client:
        print(f"busiest second, bot's count {busiest_client[-1]} (send times in the bot process)")
    print(f"publish -> final figures    {total:.1f} s")
    print(f"admin's final message       {final.text}")
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = sustained >= 23 and max_in_window(messages) <= 25 and too_close == 0
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="subscribers (default 10000)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and bot log")
    args = parser.parse_args()
    return asyncio.run(run(args.n, args.keep))


if __name__ == "__main__":
    sys.exit(main())
