"""Shared set-up for bot tests: settings, a migrated database, and (cached per process) the
dev catalog with a few awkward projects, indexed by the real search engine.

Tests use distinct Telegram user ids, so sharing one database between them is safe; each test
gets fresh Services (its own throttle) over the shared database and engine.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from index_support import DEV

from bot.delivery.throttle import Throttle
from bot.services import Services
from bot.settings import Settings
from catalog.db import open_database, session_scope, sqlite_url

DEV_CATALOG = DEV / "catalog.jsonl"  # found relative to the repository (index_support)
ADMIN_ID = 900_001
ADMIN_2 = 900_002

# Projects that exercise rendering: markup characters in the name, a very long summary,
# a code that is not allowed in a /start parameter as is.
AWKWARD = [
    {
        "code": "TEST-ESC",
        "name": "A<b>&_*",
        "batch": "2024-9",
        "region": "山西省太原市",
        "industry": "新材料",
        "investment_cny": 150_000_000,
        "private_capital_cny": 50_000_000,
        "cooperation": "合资",
        "stage": "前期",
        "owner": "<Owner> & Sons_*",
        "contact": "a&b <c@example.com>",
        "summary": "测试项目：名称含有 <b> & _ * 等字符，用于检验转义。",
        "tags": ["转义测试"],
    },
    {
        "code": "TEST-LONG/长",
        "name": "超长简介测试项目",
        "batch": "2024-9",
        "region": "山西省太原市",
        "industry": "文旅",
        "investment_cny": 80_000_000,
        "summary": "\n".join(
            f"第{i}段：这是一个用于检验长消息拆分的项目简介，内容重复以超过电报的四千零九十六字符限制。"
            for i in range(1, 141)
        ),
    },
]


def settings_for(data_dir: Path, **values: Any) -> Settings:
    """Settings for tests: a data dir, two admins, no token (explicit, not from the environment)."""
    fields: dict[str, Any] = {
        "TUIJIE_DATA_DIR": data_dir,
        "TUIJIE_ADMIN_IDS": f"{ADMIN_ID},{ADMIN_2}",
        "TELEGRAM_BOT_TOKEN": None,
        "TUIJIE_TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
        "TUIJIE_DATABASE_URL": None,
        "TUIJIE_EMBEDDING_MODEL": None,
    }
    fields.update(values)
    return Settings(**fields)


def write_catalog(path: Path) -> Path:
    """The dev catalog plus the awkward projects, as a .jsonl file."""
    lines = DEV_CATALOG.read_text(encoding="utf-8").splitlines()
    lines += [json.dumps(p, ensure_ascii=False) for p in AWKWARD]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def _shared() -> Services:
    from catalog.importer import import_into
    from index.engine import SearchEngine

    root = Path(tempfile.mkdtemp(prefix="tuijie-bot-tests-"))
    atexit.register(shutil.rmtree, root, True)
    settings = settings_for(root)
    db = open_database(sqlite_url(root))
    with session_scope(db) as session:
        import_into(session, write_catalog(root / "catalog.jsonl"), fmt="jsonl")
    search = SearchEngine(db, settings.index_dir, settings.embedding_model)
    search.open()
    return Services(settings=settings, db=db, search=search)


def shared_services() -> Services:
    """Fresh Services (own throttle) over the shared indexed test catalog."""
    return dataclasses.replace(_shared(), throttle=Throttle(), extras={})


def bare_services(data_dir: Path, search: Any = None) -> Services:
    """Services over an empty migrated database (for handlers that never search)."""
    settings = settings_for(data_dir)
    db = open_database(sqlite_url(data_dir))
    return Services(settings=settings, db=db, search=search)
