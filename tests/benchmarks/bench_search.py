"""Search benchmark on a synthetic catalog (default 100,000 projects).

    .venv/bin/python tests/benchmarks/bench_search.py [--n 100000] [--queries 300] [--keep DIR]

Prints build throughput, p50/p95 single-query latency, the time to add one project, cold
start from the saved files (model import excluded) and peak memory (RSS).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SECTORS = [
    ("新能源", "光伏", "Solar", ["光伏", "分布式光伏", "绿电"], "solar power station"),
    ("新能源", "风电", "Wind", ["风电", "风机", "绿电"], "wind farm"),
    ("新型储能", "储能电站", "Energy Storage", ["储能", "调峰"], "battery storage station"),
    ("氢能", "加氢站", "Hydrogen", ["氢能", "加氢站"], "hydrogen refuelling network"),
    ("数字经济", "数据中心", "Data Center", ["算力", "数据中心"], "green data centre"),
    ("半导体", "芯片封测", "Chip Packaging", ["芯片", "封装测试"], "semiconductor packaging"),
    ("现代物流", "冷链物流园", "Cold Chain Park", ["冷链", "冷库"], "cold chain logistics"),
    ("康养", "康养社区", "Wellness Community", ["康养", "养老"], "elderly care community"),
    ("医疗卫生", "综合医院", "General Hospital", ["医院", "医疗"], "tertiary hospital"),
    ("生态环保", "污水处理厂", "Sewage Plant", ["污水处理", "管网"], "sewage treatment"),
    ("智能制造", "机器人产业园", "Robot Park", ["机器人", "智能制造"], "industrial robots"),
    ("文化旅游", "乡村旅游综合体", "Rural Tourism", ["民宿", "乡村旅游"], "rural tourism complex"),
    ("现代农业", "智慧温室", "Smart Greenhouse", ["设施农业", "蔬菜"], "greenhouse vegetables"),
    ("交通基础设施", "高速公路", "Expressway", ["高速公路", "收费公路"], "toll expressway"),
]
COOPS = ["股权合作", "合资", "独资", "PPP", "特许经營", "BOT", "合同能源管理", "EPC+O"]
STAGES = ["前期", "在建", "部分投产", "已投产"]
QUERIES = [
    "光伏项目",
    "有没有数据中心项目",
    "河南有哪些项目",
    "投资额5亿以下的新能源项目",
    "四川已经投产的项目",
    "可以独资的项目",
    "冷链物流",
    "半導體項目",
    "养老 医院",
    "wind farm investment in Inner Mongolia",
    "hydrogen refuelling stations",
    "projects with total investment over 10 billion yuan",
    "民间资本需求不到1亿的小项目",
    "2024年第三批推介里的物流项目",
    "江苏的新能源项目",
    "the robot project in Wuhu",
]


def distinct_queries(n: int, seed: int = 11) -> list[str]:
    """n different queries (sector words x places x filters x phrasing, zh and en): no query
    repeats, so no cache flatters the figure."""
    from index.understanding.regions import gazetteer

    rng = random.Random(seed)
    cities = [p for p in gazetteer().places if p.level == "city"]
    zh_words = sorted({w for s in SECTORS for w in (s[0], s[1], *s[3])})
    en_words = [s[4] for s in SECTORS]
    zh_forms = [
        "{place}的{w}项目",
        "{w}",
        "有没有{w}相关的项目",
        "{place}{w}，投资额{amt}亿以下",
        "{w}项目 {coop}",
        "{place}已经投产的{w}",
        "想投点{w}",
        "{year}年发布的{w}项目",
    ]
    en_forms = ["{w} in {place_en}", "{w} projects", "{w} under {amt} billion yuan"]
    out: set[str] = set()
    while len(out) < n:
        city = rng.choice(cities)
        fill = {
            "place": city.name,
            "place_en": (city.pinyin[0] if city.pinyin else city.name).title(),
            "w": rng.choice(zh_words),
            "amt": rng.choice([1, 2, 3, 5, 8, 10, 20]),
            "coop": rng.choice(COOPS),
            "year": rng.choice([2023, 2024, 2025]),
        }
        if rng.random() < 0.25:
            fill["w"] = rng.choice(en_words)
            out.add(rng.choice(en_forms).format(**fill))
        else:
            out.add(rng.choice(zh_forms).format(**fill))
    return sorted(out, key=lambda _: rng.random())


def rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n projects spread over real cities, sectors, amounts, modes, stages and batches."""
    from index.understanding.regions import gazetteer

    rng = random.Random(seed)
    counties = [p for p in gazetteer().places if p.level == "county" and p.city]
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        industry, kind, kind_en, tags, en = rng.choice(SECTORS)
        place = rng.choice(counties)
        city = (place.city or "").removesuffix("市")
        invest = rng.choice([0.5, 1, 2, 3.5, 5, 8, 12, 20, 45, 80, 150]) * 1e8
        year, batch = rng.choice([2023, 2024, 2025]), rng.randint(1, 4)
        rows.append(
            {
                "code": f"SYN-{i:06d}",
                "name": f"{city}{place.name}{kind}项目{i % 97}",
                "name_en": f"{kind_en} Project {i} in {place.pinyin[0].title()}",
                "batch": f"{year}-{batch}",
                "published_on": date(year, batch * 3, 1),
                "region": place.canonical,
                "industry": industry,
                "investment_cny": invest,
                "private_capital_cny": invest * rng.choice([0.3, 0.5, 0.8]),
                "cooperation": rng.choice(COOPS),
                "stage": rng.choice(STAGES),
                "owner": f"{city}投资集团有限公司",
                "contact": f"{city}发展改革委 0000-{i % 10000:04d}",
                "summary": (
                    f"项目位于{place.canonical}，建设{kind}及配套设施，总投资约"
                    f"{invest / 1e8:g}亿元，拟引入民间资本参与建设运营，收益来自运营收入。"
                    f"当地{rng.choice(tags)}产业基础较好，交通便利，政策支持力度大。"
                ),
                "summary_en": f"A {en} project seeking private investors for construction and "
                "operation; returns come from operating revenue.",
                "tags": tags,
                "status": "published",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def during_edits(engine: Any, db: Any) -> None:
    """p95 of searches while admin edits stream in (each edit refreshes and saves, as the bot
    does), and how long an edit takes to become searchable."""
    import threading

    from sqlalchemy import text

    stop = threading.Event()
    visible: list[float] = []

    def editor() -> None:
        i = 0
        while not stop.is_set():
            name = f"编辑测试项目{i}号冰川"
            t = time.perf_counter()
            with db.begin() as conn:
                conn.execute(
                    text("UPDATE project SET name=:n WHERE code='SYN-000001'"), {"n": name}
                )
            engine.refresh(["SYN-000001"], save=True)
            if "SYN-000001" in [h.project.code for h in engine.search(name, k=3).hits]:
                visible.append(time.perf_counter() - t)
            i += 1

    thread = threading.Thread(target=editor)
    thread.start()
    lat = []
    try:
        for q in distinct_queries(200, seed=23):
            t = time.perf_counter()
            engine.search(q, k=5)
            lat.append((time.perf_counter() - t) * 1000)
    finally:
        stop.set()
        thread.join()
    lat.sort()
    print(
        f"search during edits: p50 {statistics.median(lat):.1f} ms, "
        f"p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms ({len(lat)} queries, {len(visible)} "
        f"edits, edit searchable after max {max(visible, default=float('nan')):.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="catalog size")
    parser.add_argument("--queries", type=int, default=300, help="timed queries")
    parser.add_argument(
        "--keep", help="work in this folder and keep it; a folder with a built index is reused"
    )
    args = parser.parse_args()

    from catalog.db import open_database, sqlite_url
    from catalog.models import Project
    from index import SearchEngine
    from index.store.embedder import get_model

    work = Path(args.keep or tempfile.mkdtemp(prefix="tuijie-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        reuse = (work / "index" / "CURRENT").exists()
        db = open_database(sqlite_url(work / "db"))
        if not reuse:
            rows = synthetic(args.n)
            t = time.perf_counter()
            with db.begin() as conn:
                for start in range(0, len(rows), 5000):
                    conn.execute(Project.__table__.insert(), rows[start : start + 5000])  # type: ignore[attr-defined]
            print(f"catalog: {args.n} projects inserted in {time.perf_counter() - t:.1f} s")
            del rows
        t = time.perf_counter()
        get_model(None)  # the default model; its load is printed, then part of cold start
        model_s = time.perf_counter() - t
        print(f"model load (default embedder): {model_s:.2f} s")

        engine = SearchEngine(db, work / "index", progress=True)
        t = time.perf_counter()
        report = engine.open()
        build = time.perf_counter() - t
        if reuse:
            print(f"reused the index in {work}: opened in {build:.1f} s ({report})")
        else:
            print(f"build: {build:.1f} s, {args.n / build:.0f} projects/s (embed + BM25 + save)")

        for q in QUERIES:  # warm-up (these queries are not timed)
            engine.search(q)
        lat = []
        for q in distinct_queries(args.queries):
            t = time.perf_counter()
            engine.search(q, k=5)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        p95 = lat[int(0.95 * (len(lat) - 1))]
        print(
            f"query: p50 {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms "
            f"({args.queries} distinct queries, k=5, incl. DB read of the hits)"
        )

        adds = []
        for i in range(6):  # the first add warms up code paths; the figure is the rest
            code = f"SYN-NEW-{int(time.time())}-{i}"
            new = synthetic(1, seed=99)[0] | {"code": code, "name": "大同云冈冰雪运动小镇项目"}
            with db.begin() as conn:
                conn.execute(Project.__table__.insert(), [new])  # type: ignore[attr-defined]
            t = time.perf_counter()
            engine.refresh([code], save=False)
            adds.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        engine.save()
        save_s = time.perf_counter() - t
        found = [h.project.code for h in engine.search("冰雪运动小镇", k=10).hits]
        print(
            f"add one project: median {statistics.median(adds[1:]):.1f} ms, max "
            f"{max(adds[1:]):.1f} ms, first {adds[0]:.0f} ms, in memory (found: {code in found}); "
            f"saving the index afterwards {save_s:.1f} s"
        )
        during_edits(engine, db)
        engine.close()

        cold = SearchEngine(db, work / "index")
        t = time.perf_counter()
        report = cold.open()
        opened = time.perf_counter() - t
        t = time.perf_counter()
        cold.search("河南的光伏项目")
        first = (time.perf_counter() - t) * 1000
        print(
            f"cold start: open {opened:.2f} s + model load {model_s:.2f} s "
            f"(rebuilt={report.rebuilt}, "
            f"repaired={report.added + report.updated + report.removed}), "
            f"first query {first:.0f} ms"
        )
        print(f"peak RSS: {rss_mib():.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
