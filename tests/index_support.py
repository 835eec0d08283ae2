"""Shared helpers for the search tests: catalogs in temporary databases, one engine per process."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from catalog.db import open_database, sqlite_url
from catalog.importer import import_file
from catalog.projects import ImportReport
from index import SearchEngine

# shared/ lies beside the repository (here and in CI's fresh clone); a checkout elsewhere
# (a git worktree) names the folder with TUIJIE_DEV_SET
DEV = Path(
    os.environ.get("TUIJIE_DEV_SET") or Path(__file__).resolve().parents[2] / "shared/eval/dev"
)


def dev_dir() -> Path:
    """The dev evaluation set (catalog.jsonl + queries.jsonl)."""
    if (DEV / "catalog.jsonl").exists():
        return DEV
    raise FileNotFoundError(f"{DEV} not found: shared/ must lie beside the repository")


def dev_records() -> list[dict[str, Any]]:
    """The dev catalog as dicts."""
    lines = (dev_dir() / "catalog.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    return path


def new_db(folder: Path) -> Engine:
    """A migrated SQLite database in `folder`."""
    return open_database(sqlite_url(folder))


def load(db: Engine, records: list[dict[str, Any]], folder: Path) -> ImportReport:
    """Import records through the catalog's importer."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_jsonl(folder / f"import-{len(list(folder.iterdir()))}.jsonl", records)
    return import_file(db, path)


@lru_cache(maxsize=1)
def dev_engine() -> SearchEngine:
    """One engine over the dev catalog for the whole test process (read-only use)."""
    tmp = Path(tempfile.mkdtemp(prefix="tuijie-test-dev-"))
    atexit.register(shutil.rmtree, tmp, True)
    db = new_db(tmp / "db")
    load(db, dev_records(), tmp / "imports")
    engine = SearchEngine(db, tmp / "index")
    engine.open()
    return engine


def codes(result: Any) -> list[str]:
    """Codes of a SearchResult's hits, in order."""
    return [h.project.code for h in result.hits]
