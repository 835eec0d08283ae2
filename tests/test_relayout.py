"""tools/relayout.py: the old -> new module map matches the files, its rewrite is idempotent, and
no file of the repository still names a module by its old path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _relayout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("relayout", ROOT / "tools" / "relayout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["relayout"] = module
    spec.loader.exec_module(module)
    return module


relayout = _relayout()

OLD = """from bot import cli_run
from bot.handlers import admin, admin_add, details, common
from bot.handlers.admin import refresh_index
from bot.localapi import MAX_TEXT
from index import SearchEngine, storage
import index.storage


def f(monkeypatch):
    from bot.handlers import admin_import

    monkeypatch.setattr("bot.broadcast.send", None)  # see bot/broadcast.py, bot/locales/en.json
    return index.storage.exists
"""

NEW = """from bot.cli import run as cli_run
from bot.handlers.admin import commands as admin, add as admin_add
from bot.handlers.investor import details
from bot.handlers import common
from bot.handlers.admin.commands import refresh_index
from bot.local.api import MAX_TEXT
from index import SearchEngine
from index.store import storage
import index.store.storage


def f(monkeypatch):
    from bot.handlers.admin import upload as admin_import

    monkeypatch.setattr("bot.delivery.broadcast.send", None)  # see bot/delivery/broadcast.py, \
bot/views/locales/en.json
    return index.store.storage.exists
""".replace("\\\n", "")


def test_every_old_module_moved_to_its_new_file() -> None:
    for old, new in relayout.MOVES.items():
        assert not (ROOT / (old.replace(".", "/") + ".py")).exists(), old
        assert (ROOT / (new.replace(".", "/") + ".py")).is_file(), new
    for package in relayout.NEW_PACKAGES:
        folder = ROOT / package.replace(".", "/")
        assert folder.is_dir(), package
    for old, new in relayout.FOLDERS.items():
        assert not (ROOT / old).exists() and (ROOT / new).exists(), old


def test_old_imports_strings_and_paths_are_rewritten_keeping_local_names() -> None:
    assert relayout.rewrite_python(OLD) == NEW


def test_the_rewrite_is_idempotent() -> None:
    assert relayout.rewrite_python(NEW) == NEW
    assert relayout.rewrite_text("bot/handlers/admin/ holds bot/handlers/admin/add.py") == (
        "bot/handlers/admin/ holds bot/handlers/admin/add.py"
    )


def test_no_file_of_the_repository_uses_an_old_module_path() -> None:
    assert Path(__file__) not in relayout.files([str(ROOT / "tests")])  # it spells them on purpose
    stale = []
    for path in relayout.files([str(ROOT / p) for p in relayout.DEFAULT_PATHS]):
        text = path.read_text(encoding="utf-8")
        new = relayout.rewrite_python(text) if path.suffix == ".py" else relayout.rewrite_text(text)
        if new != text:
            stale.append(path.relative_to(ROOT).as_posix())
    assert stale == [], f"old module paths in {stale}: run python tools/relayout.py"
