"""Benchmark: import an office-style .xlsx promotion list of 100,000 rows on SQLite.

Run: .venv/bin/python tests/benchmarks/bench_xlsx.py [--sizes 25000,100000]
The sheet is written the way offices write them (title naming the batch, units note in 亿元,
merged two-level header, 序号, section rows, no codes). Each size runs in a fresh child
process: the dry run and the import (the two passes users get from `tuijie import`) are
timed, with the growth of peak RSS (ru_maxrss) over the process after writing the sheet, so
one can see memory stay flat as the file grows.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from catalog.db import open_database, sqlite_url  # noqa: E402
from catalog.importer import import_file  # noqa: E402

SECTORS = ["能源", "交通运输", "水利", "生态环保", "社会事业", "文化旅游", "仓储物流"]
CITIES = ["太原市", "大同市", "朔州市", "忻州市", "吕梁市", "晋中市", "长治市", "临汾市"]
MODES = ["股权合作", "PPP（BOT）", "特许经营", "合资", "独资"]
PROGRESS = ["前期工作推进中", "已开工建设", "部分投产", "已建成"]


def write_sheet(path: Path, rows: int, seed: int = 11) -> None:
    """An office-style list in openpyxl's write-only mode (distinct names and figures)."""
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("推介项目清单")
    sheet.append(["2025年第一批向民间资本推介项目清单"])
    sheet.append([None] * 8 + ["单位：亿元"])
    sheet.append(["序号", "项目名称", "建设地点", "所属行业", "建设内容及规模", "投资规模", None,
                  "合作方式", "项目进展"])  # fmt: skip
    sheet.append([None] * 5 + ["总投资", "拟引入民间资本", None, None])
    for i in range(rows):
        if i % 1000 == 0:
            sheet.append([f"{'一二三四五六七'[i // 1000 % 7]}、{rng.choice(SECTORS)}"])
        total = rng.randrange(10, 5000) / 10
        city = rng.choice(CITIES)
        sheet.append([
            i + 1,
            f"{city}第{i}号{rng.choice(SECTORS)}项目",
            f"山西省{city}",
            rng.choice(SECTORS),
            f"项目{i}：建设内容及规模说明，拟引入民间资本参与建设运营。" * 3,
            total,
            round(total * rng.randrange(1, 10) / 10, 1),
            rng.choice(MODES),
            rng.choice(PROGRESS),
        ])  # fmt: skip
    sheet.append(["合计"])
    workbook.save(path)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "清单.xlsx"
        write_sheet(path, rows)
        size_mb = path.stat().st_size / 1024 / 1024
        engine = open_database(sqlite_url(Path(tmp) / "bench.db"))
        base = _rss_mb()
        started = time.perf_counter()
        dry = import_file(engine, path, dry_run=True)
        dry_s = time.perf_counter() - started
        started = time.perf_counter()
        report = import_file(engine, path)
        import_s = time.perf_counter() - started
        assert len(report.new) == rows == len(dry.new), (len(report.new), rows)
        print(
            f"{rows:>7} rows ({size_mb:.1f} MB .xlsx): dry run {dry_s:6.1f} s, "
            f"import {import_s:6.1f} s ({rows / import_s:,.0f} rows/s), "
            f"peak RSS growth {_rss_mb() - base:6.1f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="25000,100000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--child", str(size)], check=True)


if __name__ == "__main__":
    main()
