"""Benchmark: import and export a synthetic catalog of 100,000 projects on SQLite.

Run: .venv/bin/python tests/benchmarks/bench_import_export.py [--sizes 25000,100000]
Each size runs in a fresh child process, so peak memory figures do not mix. Prints import,
re-import (all unchanged) and export times, rows/s, the growth of peak RSS (ru_maxrss) and,
in a second child, tracemalloc's peak of Python allocations during import and export.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from catalog.db import open_database, sqlite_url  # noqa: E402
from catalog.importer import export_file, import_file  # noqa: E402

INDUSTRIES = ["半导体", "新能源", "数字经济", "煤化工", "高端装备", "新材料", "钢铁", "物流"]
DISTRICTS = ["小店区", "迎泽区", "杏花岭区", "尖草坪区", "万柏林区", "晋源区", "清徐县", "阳曲县"]
MODES = ["股权合作", "PPP", "特许经营", "合资"]
STAGES = ["前期", "在建", "部分投产", "已投产"]


def write_catalog(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic catalog in the exchange format (.jsonl), about 1 KB a row."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(rows):
            industry = rng.choice(INDUSTRIES)
            total = rng.randrange(10, 5000) * 1_000_000
            row = {
                "code": f"SYN-{i:07d}",
                "name": f"太原{industry}示范项目{i}",
                "name_en": f"Taiyuan {i} demonstration project",
                "batch": f"{2020 + i % 5}-{i % 4 + 1}",
                "published_on": f"{2020 + i % 5}-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                "region": f"山西省太原市{rng.choice(DISTRICTS)}",
                "industry": industry,
                "investment_cny": total,
                "private_capital_cny": total * rng.randrange(1, 10) / 10,
                "cooperation": rng.choice(MODES),
                "stage": rng.choice(STAGES),
                "owner": f"示例项目公司{i}",
                "contact": f"0351-555{i % 10000:04d}",
                "summary": f"{industry}产业项目，拟引入民间资本参与建设运营。" * 6,
                "summary_en": "A synthetic project for the import benchmark. " * 3,
                "tags": [industry, "示例数据/illustrative", f"t{i % 50}"],
                "status": "withdrawn" if i % 20 == 0 else "published",
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(rows: int, trace: bool) -> dict[str, float]:
    """Measure one size in this (fresh) process."""
    with tempfile.TemporaryDirectory(prefix="tuijie-bench-") as tmp:
        work = Path(tmp)
        source, out = work / "catalog.jsonl", work / "export.jsonl"
        write_catalog(source, rows)
        engine = open_database(sqlite_url(work / "db"))
        figures: dict[str, float] = {"rows": rows, "file_mb": source.stat().st_size / 2**20}
        base_rss = _maxrss_mb()
        steps = [
            ("import", lambda: import_file(engine, source)),
            ("reimport", lambda: import_file(engine, source)),
            ("export", lambda: export_file(engine, out)),
        ]
        for name, step in steps:
            if trace:
                tracemalloc.start()
            start = time.perf_counter()
            step()
            figures[f"{name}_s"] = time.perf_counter() - start
            if trace:
                figures[f"{name}_trace_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
        figures["rss_growth_mb"] = _maxrss_mb() - base_rss
        assert out.stat().st_size > 0
        engine.dispose()
    return figures


def run_child(rows: int, trace: bool) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", str(rows)] + (["--trace"] if trace else [])
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,100000", help="comma-separated row counts")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.trace)))
        return
    print(
        f"{'rows':>8} {'file MB':>8} {'import s':>9} {'rows/s':>8} {'re-import s':>11} "
        f"{'export s':>9} {'rows/s':>8} {'RSS +MB':>8} {'import peak MB':>15} "
        f"{'export peak MB':>15}"
    )
    for rows in (int(s) for s in args.sizes.split(",")):
        timed = run_child(rows, trace=False)
        traced = run_child(rows, trace=True)
        print(
            f"{rows:>8} {timed['file_mb']:>8.1f} {timed['import_s']:>9.2f} "
            f"{rows / timed['import_s']:>8.0f} {timed['reimport_s']:>11.2f} "
            f"{timed['export_s']:>9.2f} {rows / timed['export_s']:>8.0f} "
            f"{timed['rss_growth_mb']:>8.1f} {traced['import_trace_mb']:>15.1f} "
            f"{traced['export_trace_mb']:>15.1f}",
            flush=True,
        )
    print(
        "import/export times from the untraced run; peaks from tracemalloc in a second run;"
        " RSS +MB is ru_maxrss growth over the whole import, re-import and export."
    )


if __name__ == "__main__":
    main()
