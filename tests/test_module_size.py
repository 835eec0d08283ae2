"""The project's rule for code layout: small modules named for what they hold, none over 400
lines (split by responsibility when one grows past it)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "catalog", "index", "tests")
MAX_LINES = 400


def modules() -> list[Path]:
    """Every Python file of the project's packages and tests."""
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_the_packages_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in modules()}
    assert {"bot/app.py", "catalog/exchange.py", "index/engine.py"} <= names


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_is_at_most_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it"
