"""Two `tuijie import` processes creating the same new codes at once: both end well (the later
one retries and finds the rows the other made), never with a traceback (issue 11, item 7)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import Session
from test_e2e_bot import TUIJIE, clean_env

from catalog.db import open_database, sqlite_url
from catalog.projects import count_projects

pytestmark = pytest.mark.e2e


async def _import(path: Path, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        TUIJIE,
        "import",
        str(path),
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 240)
    return int(proc.returncode or 0), err.decode()


async def test_two_imports_of_the_same_new_codes_at_once(tmp_path: Path) -> None:
    env = clean_env(TUIJIE_DATA_DIR=str(tmp_path / "data"))
    db = open_database(sqlite_url(tmp_path / "data"))
    try:
        for round_ in range(3):
            rows = [
                {"code": f"R{round_}-{i:05d}", "name": f"项目{i}", "batch": "B", "summary": "s"}
                for i in range(3000)
            ]
            path = tmp_path / f"round{round_}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
            results = await asyncio.gather(*(_import(path, env, tmp_path) for _ in range(2)))
            for code, err in results:
                assert code == 0 and "Traceback" not in err, err[-2000:]
            with Session(db) as session:
                assert count_projects(session) == 3000 * (round_ + 1)
    finally:
        db.dispose()
