"""Admin commands through the real Application (process_update + the in-memory Bot API)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botharness import BotHarness
from botsetup import ADMIN_ID, DEV_CATALOG, bare_services
from sqlmodel import Session, select

from bot.delivery.throttle import Throttle
from bot.local.api import parse_html
from bot.services import Services
from catalog import outbox, subscriptions
from catalog.db import session_scope
from catalog.importer import import_into
from catalog.models import AuditEntry, Batch, Interest, Investor, Project, QueryLog
from catalog.projects import get_project

INVESTOR = 880_001


def seeded_services(tmp_path: Path) -> Services:
    """Fresh database with the dev catalog (36 projects, batches 2023-1 … 2024-3)."""
    svc = bare_services(tmp_path)
    with session_scope(svc.db) as session:
        import_into(session, DEV_CATALOG, fmt="jsonl")
    return svc


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = seeded_services(tmp_path)
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en", chosen="en")
        harness.user(INVESTOR, language_code="en", chosen="en")
        yield harness
    svc.db.dispose()


def project(bot: BotHarness, code: str) -> Any:
    with Session(bot.services.db) as session:
        return get_project(session, code=code)


def audit_rows(bot: BotHarness) -> list[AuditEntry]:
    with Session(bot.services.db) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


def jsonl(*rows: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def catalog_snapshot(bot: BotHarness) -> list[tuple[Any, ...]]:
    with Session(bot.services.db) as session:
        rows = session.exec(select(Project).order_by(Project.code)).all()
        return [tuple(r.model_dump(exclude={"updated_at", "created_at"}).items()) for r in rows]


# --- permissions ---------------------------------------------------------------------------

ADMIN_COMMANDS = [
    "/add",
    "/add code=X1 name=n batch=2024-1 summary=s",
    "/edit DEV-001 stage=在建",
    "/edit NOPE-404 stage=在建",
    "/withdraw DEV-001",
    "/restore DEV-001",
    "/export",
    "/import",
    "/audit",
    "/audit DEV-001",
    "/publish 2024-1",
    "/publish 2099-9",
    "/stats",
]


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_every_admin_command_refuses_others_the_same_way(
    bot: BotHarness, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = catalog_snapshot(bot)
    with caplog.at_level(logging.WARNING, logger="bot.permissions"):
        calls = await bot.send(INVESTOR, command)
    assert calls.methods == ["sendMessage"]
    assert calls.texts() == ["⛔ This command is for catalog admins only."]
    assert f"refused admin-only {command.split()[0]} from user {INVESTOR}" in caplog.text
    assert catalog_snapshot(bot) == before and audit_rows(bot) == []


async def test_document_upload_is_refused_for_non_admins(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    before = catalog_snapshot(bot)
    with caplog.at_level(logging.WARNING, logger="bot.permissions"):
        calls = await bot.send_document(INVESTOR, "c.jsonl", jsonl({"code": "Z"}))
    assert calls.texts() == ["⛔ This command is for catalog admins only."]
    assert "getFile" not in calls.methods
    assert "document upload" in caplog.text
    assert catalog_snapshot(bot) == before
    assert not list((Path(bot.settings.data_dir) / "pending").glob("*"))


@pytest.mark.parametrize("data", ["adm:imp:ok:{token}", "adm:imp:no:{token}", "adm:au:10:"])
async def test_admin_buttons_refuse_others_whatever_the_token(bot: BotHarness, data: str) -> None:
    new = {"code": "NEW-1", "name": "新项目", "batch": "2024-1", "summary": "测试"}
    await bot.send_document(ADMIN_ID, "c.jsonl", jsonl(new))
    token = next(Path(bot.settings.data_dir, "pending").glob("*.meta")).stem
    under = (await bot.send(INVESTOR, "/stats")).last("sendMessage").result["message_id"]
    answers = []
    for candidate in (token, "bogus-token-123"):
        update = bot.api.callback(INVESTOR, under, data.format(token=candidate))
        calls = await bot.process(update)
        answer = calls.last("answerCallbackQuery")
        answers.append((answer.params.get("text"), answer.params.get("show_alert")))
        assert "editMessageText" not in calls.methods
    assert answers[0] == answers[1] == ("⛔ This command is for catalog admins only.", True)
    with Session(bot.services.db) as session:
        assert session.exec(select(Project).where(Project.code == "NEW-1")).first() is None


# --- catalog commands ----------------------------------------------------------------------


async def test_edit_changes_fields_and_audits_them(bot: BotHarness) -> None:
    calls = await bot.send(
        ADMIN_ID, '/edit DEV-001 stage=在建 name="贵安 数据中心 二期" investment_cny=40亿'
    )
    text = calls.last("sendMessage").text or ""
    assert "updated" in text and "部分投产 → 在建" in text
    p = project(bot, "DEV-001")
    assert (p.stage, p.name, p.investment_cny) == ("在建", "贵安 数据中心 二期", 4e9)
    (entry,) = audit_rows(bot)
    assert entry.actor == f"tg:{ADMIN_ID}" and entry.action == "edit"
    assert entry.changes["investment_cny"] == [3.6e9, 4e9]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/edit DEV-001", "Usage: /edit CODE"),
        ("/edit NOPE stage=x", "No project with code NOPE"),
        ("/edit DEV-001 colour=red", "unknown field 'colour'"),
        ("/edit DEV-001 private_capital_cny=99亿", "is more than investment_cny"),
        ("/edit DEV-001 summary=", "required"),
        ('/edit DEV-001 name="unclosed', "cannot read"),
        ("/edit DEV-001 published_on=2024-02-30", "not a date"),
    ],
)
async def test_bad_edits_change_nothing(bot: BotHarness, command: str, expected: str) -> None:
    before = catalog_snapshot(bot)
    calls = await bot.send(ADMIN_ID, command)
    assert expected in parse_html(calls.last("sendMessage").text or "")
    assert catalog_snapshot(bot) == before and audit_rows(bot) == []


async def test_withdraw_and_restore(bot: BotHarness) -> None:
    assert "withdrawn" in (await bot.send(ADMIN_ID, "/withdraw DEV-002")).texts()[0]
    assert project(bot, "DEV-002").status == "withdrawn"
    assert "already withdrawn" in (await bot.send(ADMIN_ID, "/withdraw DEV-002")).texts()[0]
    assert "published again" in (await bot.send(ADMIN_ID, "/restore DEV-002")).texts()[0]
    assert project(bot, "DEV-002").status == "published"
    assert "No project" in (await bot.send(ADMIN_ID, "/withdraw NOPE")).texts()[0]
    assert [(e.action, e.changes) for e in audit_rows(bot)] == [
        ("withdraw", {"status": ["published", "withdrawn"]}),
        ("restore", {"status": ["withdrawn", "published"]}),
    ]


async def test_add_in_one_message(bot: BotHarness) -> None:
    calls = await bot.send(
        ADMIN_ID,
        '/add code=TY-1 name="太原 半导体 生态科技港" batch=2024-4 summary="半导体产业基地" '
        "investment_cny=30亿 tags=半导体;光电",
    )
    assert "Added" in calls.texts()[0]
    p = project(bot, "TY-1")
    assert (p.name, p.investment_cny, p.tags) == ("太原 半导体 生态科技港", 3e9, ["半导体", "光电"])
    with Session(bot.services.db) as session:
        assert session.exec(select(Batch).where(Batch.code == "2024-4")).first() is not None
    assert audit_rows(bot)[0].action == "add"
    again = await bot.send(ADMIN_ID, "/add code=TY-1 name=x batch=b summary=s")
    assert "already exists" in again.texts()[0]
    missing = await bot.send(ADMIN_ID, "/add code=TY-2 name=x")
    assert "batch" in missing.texts()[0] and "summary" in missing.texts()[0]
    assert len(audit_rows(bot)) == 1


async def test_add_conversation_asks_required_then_optional_with_skip(bot: BotHarness) -> None:
    calls = await bot.send(ADMIN_ID, "/add")
    assert "1/16 · code" in (calls.last("sendMessage").text or "")
    await bot.send(ADMIN_ID, "DEV-001")  # taken: asked again
    assert "already exists" in bot.api.calls[-1].text  # type: ignore[operator]
    await bot.send(ADMIN_ID, "TY-9")
    await bot.send(ADMIN_ID, "清徐 油库 扩建")
    # a search-like text is an answer here, not a search
    calls = await bot.send(ADMIN_ID, "2024-4")
    assert "4/16 · summary" in (calls.last("sendMessage").text or "")
    calls = await bot.send(ADMIN_ID, "山西贝尔油库扩建项目")
    assert "5/16 · name_en" in (calls.last("sendMessage").text or "")
    assert calls.last("sendMessage").button("Skip")["callback_data"] == "adm:add:skip"
    await bot.press(ADMIN_ID, "adm:add:skip")  # name_en
    await bot.send(ADMIN_ID, "2024-12-01")  # published_on
    await bot.send(ADMIN_ID, "山西省太原市清徐县")  # region
    await bot.press(ADMIN_ID, "adm:add:skip")  # industry
    calls = await bot.send(ADMIN_ID, "lots")  # investment_cny: refused, asked again
    assert "Not accepted" in (calls.last("sendMessage").text or "")
    await bot.send(ADMIN_ID, "2.5亿")
    calls = await bot.press(ADMIN_ID, "adm:add:save")
    assert "Added" in (calls.last("sendMessage").text or "")
    p = project(bot, "TY-9")
    assert (p.name, p.batch, p.region, p.investment_cny, p.industry) == (
        "清徐 油库 扩建",
        "2024-4",
        "山西省太原市清徐县",
        2.5e8,
        None,
    )
    assert str(p.published_on) == "2024-12-01"
    # the conversation is over: text is no longer taken as an answer
    after = await bot.send(ADMIN_ID, "/add")
    assert "1/16" in after.texts()[0]
    calls = await bot.send(ADMIN_ID, "/cancel")
    assert "Cancelled" in calls.texts()[0]


async def test_admins_are_not_flood_limited_but_investors_are(tmp_path: Path) -> None:
    now = [1000.0]
    svc = dataclasses.replace(
        seeded_services(tmp_path), throttle=Throttle(limit=2, window=10.0, clock=lambda: now[0])
    )
    answers = [
        "/add", "TY-FAST", "快速录入项目", "2024-4", "一个很快录入的项目",
        "Fast entry", "2024-12-01", "山西省太原市",
    ]  # fmt: skip
    async with BotHarness(svc.settings, svc) as bot:
        bot.user(ADMIN_ID, language_code="en")
        bot.user(INVESTOR, language_code="en", chosen="en")
        for text in answers:
            assert (await bot.send(ADMIN_ID, text)).texts(), text
        calls = await bot.press(ADMIN_ID, "adm:add:save")
        assert "Added" in (calls.last("sendMessage").text or "")
        assert project(bot, "TY-FAST").region == "山西省太原市"
        replies = [(await bot.send(INVESTOR, "/help")).texts() for _ in range(4)]
        assert [len(r) for r in replies] == [1, 1, 1, 0]
        assert "slow down" not in replies[0][0] and "very quickly" in replies[2][0]
    svc.db.dispose()


# --- import by document --------------------------------------------------------------------


async def test_import_dry_run_then_apply(bot: BotHarness) -> None:
    old = project(bot, "DEV-003").model_dump(mode="json")
    changed = {k: v for k, v in old.items() if k in _FIELDS and v not in (None, [])}
    changed["stage"] = "已投产"
    new = {"code": "NEW-1", "name": "新项目", "batch": "2024-4", "summary": "测试"}
    same = {
        k: v for k, v in project(bot, "DEV-004").model_dump(mode="json").items()
        if k in _FIELDS and v not in (None, [])
    }  # fmt: skip
    before = catalog_snapshot(bot)
    calls = await bot.send_document(ADMIN_ID, "batch4.jsonl", jsonl(changed, new, same))
    assert calls.methods[:1] == ["getFile"]
    report = calls.last("sendMessage")
    text = report.text or ""
    assert "dry run" in text and "new: 1 (NEW-1)" in text and "updated: 1 (DEV-003)" in text
    assert "unchanged: 1" in text
    assert catalog_snapshot(bot) == before  # nothing applied yet
    calls = await bot.press(ADMIN_ID, report.buttons[0]["callback_data"])
    assert "Imported" in (calls.last("editMessageText").text or "")
    assert project(bot, "DEV-003").stage == "已投产" and project(bot, "NEW-1").batch == "2024-4"
    actions = [(e.action, e.project_code) for e in audit_rows(bot)]
    assert ("import", "NEW-1") in actions and ("import", "DEV-003") in actions
    # a second press finds nothing pending and changes nothing
    data, under = report.buttons[0]["callback_data"], report.result["message_id"]
    calls = await bot.process(bot.api.callback(ADMIN_ID, under, data))
    assert "no longer pending" in (calls.last("answerCallbackQuery").params.get("text") or "")
    assert not list((Path(bot.settings.data_dir) / "pending").glob("*"))


async def test_import_cancel_changes_nothing(bot: BotHarness) -> None:
    before = catalog_snapshot(bot)
    calls = await bot.send_document(ADMIN_ID, "c.csv", b"code,name,batch,summary\nNEW-2,n,b,s\n")
    report = calls.last("sendMessage")
    calls = await bot.press(ADMIN_ID, report.buttons[1]["callback_data"])
    assert "cancelled" in (calls.last("editMessageText").text or "")
    assert catalog_snapshot(bot) == before and audit_rows(bot) == []
    assert not list((Path(bot.settings.data_dir) / "pending").glob("*"))


async def test_a_bad_file_is_reported_with_line_numbers_and_changes_nothing(
    bot: BotHarness,
) -> None:
    before = catalog_snapshot(bot)
    good = {"code": "NEW-3", "name": "n", "batch": "b", "summary": "s"}
    bad = {"code": "NEW-4", "name": "n", "batch": "b", "summary": "s", "investment_cny": "many"}
    calls = await bot.send_document(
        ADMIN_ID, "bad.jsonl", jsonl(good, bad) + b"{not json\n" + jsonl({"code": "NEW-5"})
    )
    text = calls.last("sendMessage").text or ""
    assert "cannot be imported" in text
    assert "line 2" in text and "investment_cny" in text and "line 3" in text
    assert "line 4" in text and "name" in text
    assert not calls.last("sendMessage").buttons
    assert catalog_snapshot(bot) == before
    assert not list((Path(bot.settings.data_dir) / "pending").glob("*"))


async def test_wrong_type_and_too_big_files(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.handlers.admin import upload as admin_import

    calls = await bot.send(ADMIN_ID, "/import")
    assert "as a document" in calls.texts()[0]
    monkeypatch.setattr(admin_import, "MAX_IMPORT_BYTES", 100)
    calls = await bot.send_document(ADMIN_ID, "big.jsonl", b" " * 200)
    assert "limit" in calls.texts()[0] and "getFile" not in calls.methods


async def test_export_sends_the_catalog_as_a_file(bot: BotHarness) -> None:
    calls = await bot.send(ADMIN_ID, "/export csv")
    sent = calls.last("sendDocument")
    stored = bot.api.files[sent.result["document"]["file_id"]]
    assert stored.file_name is not None and stored.file_name.endswith(".csv")
    lines = stored.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("code,name") and len(lines) == 37
    assert "36 projects" in (sent.result.get("caption") or "")


# --- audit, stats, publish -----------------------------------------------------------------


async def test_audit_shows_newest_first_and_pages(bot: BotHarness) -> None:
    for owner in ("a", "b", "c"):  # free text: any value is a change
        await bot.send(ADMIN_ID, f"/edit DEV-005 owner={owner}")
    for i in range(10):
        await bot.send(ADMIN_ID, f"/edit DEV-006 owner=s{i}")
    text = (await bot.send(ADMIN_ID, "/audit DEV-005")).texts()[0]
    assert text.index("→ c") < text.index("→ b") < text.index("→ a")
    assert "DEV-006" not in text
    calls = await bot.send(ADMIN_ID, "/audit")
    first = calls.last("sendMessage")
    assert "1–10 of 13" in (first.text or "") and "s9" in (first.text or "")
    calls = await bot.press(ADMIN_ID, "adm:au:10:")
    page = calls.last("editMessageText").text or ""
    assert "11–13 of 13" in page and "→ a" in page
    assert "No changes recorded" in (await bot.send(ADMIN_ID, "/audit DEV-030")).texts()[0]


async def test_stats(bot: BotHarness) -> None:
    await bot.send(ADMIN_ID, "/withdraw DEV-007")
    with session_scope(bot.services.db) as session:
        inv = Investor(telegram_user_id=5, chat_id=5)
        session.add(inv)
        session.flush()
        subscriptions.subscribe(session, investor_id=inv.id or 0, chat_id=5, mode="all")
        for q, n in [("光伏", 3), ("光伏", 2), ("月球基地", 0), ("月球基地", 0), ("氢能", 1)]:
            session.add(QueryLog(query=q, normalized=q, results=n))
        dev9 = session.exec(select(Project).where(Project.code == "DEV-009")).one()
        session.add(Interest(investor_id=inv.id or 0, project_id=dev9.id or 0))
    text = parse_html((await bot.send(ADMIN_ID, "/stats")).texts()[0])
    assert "36 projects — 35 published, 1 withdrawn" in text
    assert "2024-1: published 6, withdrawn 1" in text
    assert "subscribers: 1 (every batch 1)" in text
    assert "DEV-009 盐城大丰区独立共享储能电站项目 — 1" in text
    assert "Investors: 3" in text  # #5, and ADMIN and INVESTOR, who chose English
    assert text.index("光伏 — 2") < text.index("氢能 — 1")
    empty_part = text.split("found nothing")[1]
    assert "月球基地 — 2" in empty_part and "光伏" not in empty_part


async def test_publish_errors_and_once_only(bot: BotHarness) -> None:
    text = parse_html((await bot.send(ADMIN_ID, "/publish 2099-9")).texts()[0])
    assert "no batch 2099-9" in text and "2023-1, 2023-2, 2024-1, 2024-2, 2024-3" in text
    assert "Known batches" in (await bot.send(ADMIN_ID, "/publish")).texts()[0]
    first = parse_html((await bot.send(ADMIN_ID, "/publish 2024-1")).texts()[0])
    assert "no subscribers; nothing to send" in first and "Progress follows" not in first
    again = parse_html((await bot.send(ADMIN_ID, "/publish 2024-1")).texts()[0])
    assert "already announced on" in again and f"(by admin {ADMIN_ID})" in again
    with Session(bot.services.db) as session:
        assert outbox.get_batch(session, code="2024-1").announced_by == ADMIN_ID  # type: ignore[union-attr]


_FIELDS = {
    "code", "name", "name_en", "batch", "published_on", "region", "industry", "investment_cny",
    "private_capital_cny", "cooperation", "stage", "owner", "contact", "summary", "summary_en",
    "tags", "status",
}  # fmt: skip
