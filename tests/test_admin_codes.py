"""Project codes are one word (so /edit and /withdraw can name them); /edit reads the quotes
phones type (“…” ‘…’ 「…」 『…』) and says clearly when a quote is not closed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_ID, DEV_CATALOG, bare_services
from sqlmodel import Session

from bot.local.api import parse_html
from catalog.db import session_scope
from catalog.exchange import validate_record
from catalog.importer import import_into
from catalog.projects import get_project

VALID = {"code": "TY2024-05", "name": "n", "batch": "2024-1", "summary": "s"}


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = bare_services(tmp_path)
    with session_scope(svc.db) as session:
        import_into(session, DEV_CATALOG, fmt="jsonl")
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en", chosen="en")
        yield harness
    svc.db.dispose()


@pytest.mark.parametrize("code", ["QA 8 bad code", "A\tB", "X\u3000Y", "BAD\x07", "A\u200bB"])
def test_a_code_with_whitespace_or_control_characters_is_refused(code: str) -> None:
    record, errors = validate_record({**VALID, "code": code}, 3)
    assert record is None
    assert [(e.line, e.field) for e in errors] == [(3, "code")]
    assert "one word" in errors[0].reason


@pytest.mark.parametrize("code", ["DEV-001", "TY2024-05", "TEST-LONG/长", "  PADDED-1 "])
def test_one_word_codes_are_accepted(code: str) -> None:
    record, errors = validate_record({**VALID, "code": code}, 1)
    assert errors == [] and record is not None and record.code == code.strip()


async def test_guided_add_refuses_a_code_with_spaces(bot: BotHarness) -> None:
    await bot.send(ADMIN_ID, "/add")
    calls = await bot.send(ADMIN_ID, "QA 8 bad code")
    text = parse_html(calls.last("sendMessage").text or "")
    assert "Not accepted" in text and "one word" in text
    calls = await bot.send(ADMIN_ID, "QA-8")
    assert "2/16 · name" in (calls.last("sendMessage").text or "")


async def test_edit_reads_curly_and_corner_quotes(bot: BotHarness) -> None:
    calls = await bot.send(ADMIN_ID, "/edit DEV-001 name=“贵安 数据中心” owner=「贵安 新区」")
    assert "updated" in (calls.last("sendMessage").text or "")
    with Session(bot.services.db) as session:
        p = get_project(session, code="DEV-001")
    assert (p.name, p.owner) == ("贵安 数据中心", "贵安 新区")


async def test_edit_with_an_unclosed_quote_says_so_and_changes_nothing(bot: BotHarness) -> None:
    with Session(bot.services.db) as session:
        before = get_project(session, code="DEV-001").name
    calls = await bot.send(ADMIN_ID, "/edit DEV-001 name=“贵安 数据中心")
    text = parse_html(calls.last("sendMessage").text or "")
    assert "quotation mark is not closed" in text and "No closing" not in text
    with Session(bot.services.db) as session:
        assert get_project(session, code="DEV-001").name == before
