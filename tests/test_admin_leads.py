"""/leads, its buttons, /note, the daily reminder and /forget on an investor with leads, through
the real Application (process_update + the in-memory Bot API) over a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID, DEV_CATALOG, bare_services
from sqlmodel import Session, col, select

from bot.handlers.admin.leads import REMINDER_JOB
from bot.local.api import parse_html
from catalog import leads
from catalog.db import session_scope
from catalog.importer import import_into
from catalog.investors import get_or_create_investor, record_interest
from catalog.models import AuditEntry, Lead, LeadNote, Project, utcnow

PRIVATE, SHARING, OTHER = 881_001, 881_002, 881_003
REFUSED = "⛔ This command is for catalog admins only."


def interest(bot: BotHarness, user_id: int, code: str, *, share: bool, note: str | None) -> int:
    """What the interest handler stores: an interest and its lead; the lead's id."""
    with session_scope(bot.services.db) as session:
        investor = get_or_create_investor(
            session, telegram_user_id=user_id, username=f"inv{user_id}", full_name="Wang Wei"
        )
        project = session.exec(select(Project).where(col(Project.code) == code)).one()
        assert investor.id is not None and project.id is not None
        record_interest(
            session, investor_id=investor.id, project_id=project.id, share_contact=share
        )
        lead = leads.open_lead(
            session, investor_id=investor.id, project_id=project.id, share_contact=share, note=note
        )
        assert lead.id is not None
        return lead.id


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = bare_services(tmp_path)
    with session_scope(svc.db) as session:
        import_into(session, DEV_CATALOG, fmt="jsonl")
    async with BotHarness(svc.settings, svc) as harness:
        for user in (ADMIN_ID, ADMIN_2, PRIVATE, SHARING, OTHER):
            harness.user(user, language_code="en")
        yield harness
    svc.db.dispose()


def lead_row(bot: BotHarness, lead_id: int) -> Lead:
    with Session(bot.services.db) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


def audit(bot: BotHarness) -> list[tuple[str, str, str | None, dict[str, object]]]:
    with Session(bot.services.db) as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        return [(r.actor, r.action, r.project_code, r.changes) for r in rows]


async def test_leads_lists_open_leads_newest_first_with_contact_only_when_consented(
    bot: BotHarness,
) -> None:
    first = interest(bot, PRIVATE, "DEV-001", share=False, note="About 50 million")
    second = interest(bot, SHARING, "DEV-002", share=True, note=None)
    closed = interest(bot, OTHER, "DEV-003", share=True, note=None)
    with session_scope(bot.services.db) as session:
        leads.set_status(session, lead_id=closed, status="signed", actor="cli")
    calls = await bot.send(ADMIN_ID, "/leads")
    texts = [parse_html(text) for text in calls.texts()]
    assert texts[0] == "📇 Open leads, newest first (2):"
    assert texts[1].startswith(f"#{second} · DEV-002") and texts[2].startswith(
        f"#{first} · DEV-001"
    )
    assert "✅ contact shared: @inv881002" in texts[1]
    assert "🔒 contact not shared" in texts[2] and "inv881001" not in texts[2]
    assert "investor: About 50 million" in texts[2]
    assert not any("DEV-003" in text for text in texts)
    labels = [b["text"] for b in calls.last("sendMessage").buttons]
    assert labels == ["🙋 Take it", "📝 Note", "contacted", "in talks", "signed", "declined"]

    one = parse_html((await bot.send(ADMIN_ID, "/leads DEV-003")).texts()[1])
    assert one.startswith(f"#{closed} · DEV-003") and "signed" in one  # one project: every status
    assert "No project with code" in (await bot.send(ADMIN_ID, "/leads NOPE-9")).texts()[0]


async def test_take_status_and_note_change_the_lead_and_are_audited(bot: BotHarness) -> None:
    lead_id = interest(bot, PRIVATE, "DEV-001", share=False, note=None)
    await bot.send(ADMIN_ID, "/leads")
    calls = await bot.press(ADMIN_ID, f"ld:t:{lead_id}")
    assert calls.last("answerCallbackQuery").params.get("text") == "Saved."
    assert f"owner: admin {ADMIN_ID}" in parse_html(calls.last("editMessageText").text or "")
    assert lead_row(bot, lead_id).owner_id == ADMIN_ID

    calls = await bot.press(ADMIN_ID, f"ld:s:{lead_id}:talks")
    assert "· in talks ·" in parse_html(calls.last("editMessageText").text or "")
    assert lead_row(bot, lead_id).status == "talks"

    calls = await bot.press(ADMIN_ID, f"ld:n:{lead_id}")
    assert calls.last("answerCallbackQuery").params.get("text") == (
        f"To add a note, send: /note {lead_id} your text"
    )
    calls = await bot.send(ADMIN_ID, f"/note {lead_id} Called; meeting on Friday")
    assert f"tg:{ADMIN_ID}: Called; meeting on Friday" in parse_html(calls.texts()[0])

    with Session(bot.services.db) as session:
        note = session.exec(select(LeadNote).where(col(LeadNote.lead_id) == lead_id)).one()
    actor = f"tg:{ADMIN_ID}"
    assert audit(bot) == [
        (actor, "lead.take", "DEV-001", {"lead": lead_id, "owner": [None, ADMIN_ID]}),
        (actor, "lead.status", "DEV-001", {"lead": lead_id, "status": ["new", "talks"]}),
        (actor, "lead.note", "DEV-001", {"lead": lead_id, "note": note.id}),
    ]


async def test_bad_lead_input_is_refused_and_changes_nothing(bot: BotHarness) -> None:
    lead_id = interest(bot, PRIVATE, "DEV-001", share=False, note=None)
    await bot.send(ADMIN_ID, "/leads")
    calls = await bot.process(
        bot.api.callback(ADMIN_ID, bot.find_button(ADMIN_ID, f"ld:t:{lead_id}"), "ld:s:1:won")
    )
    assert "unknown status 'won'" in (calls.last("answerCallbackQuery").params.get("text") or "")
    assert "Usage" in parse_html((await bot.send(ADMIN_ID, "/note hello")).texts()[0])
    assert "no lead #999" in parse_html((await bot.send(ADMIN_ID, "/note 999 hi")).texts()[0])
    assert lead_row(bot, lead_id).status == "new" and audit(bot) == []


@pytest.mark.parametrize("command", ["/leads", "/leads DEV-001", "/note 1 hello"])
async def test_lead_commands_refuse_non_admins(bot: BotHarness, command: str) -> None:
    interest(bot, PRIVATE, "DEV-001", share=True, note="secret plan")
    calls = await bot.send(OTHER, command)
    assert calls.texts() == [REFUSED]
    assert audit(bot) == []


@pytest.mark.parametrize("data", ["ld:t:{id}", "ld:s:{id}:signed", "ld:n:{id}"])
async def test_lead_buttons_refuse_non_admins(bot: BotHarness, data: str) -> None:
    lead_id = interest(bot, PRIVATE, "DEV-001", share=True, note=None)
    under = (await bot.send(OTHER, "/leads")).last("sendMessage").result["message_id"]
    calls = await bot.process(bot.api.callback(OTHER, under, data.format(id=lead_id)))
    answer = calls.last("answerCallbackQuery")
    assert (answer.params.get("text"), answer.params.get("show_alert")) == (REFUSED, True)
    row = lead_row(bot, lead_id)
    assert (row.owner_id, row.status) == (None, "new") and audit(bot) == []


async def test_the_daily_job_reminds_each_owner_of_leads_untouched_for_a_week(
    bot: BotHarness,
) -> None:
    stale = interest(bot, PRIVATE, "DEV-001", share=False, note=None)
    fresh = interest(bot, SHARING, "DEV-002", share=True, note=None)
    done = interest(bot, OTHER, "DEV-003", share=True, note=None)
    with session_scope(bot.services.db) as session:
        for lead_id in (stale, fresh, done):
            leads.take_lead(session, lead_id=lead_id, admin_id=ADMIN_2, actor="cli")
        leads.set_status(session, lead_id=done, status="declined", actor="cli")
        for lead_id in (stale, done):
            row = session.get(Lead, lead_id)
            assert row is not None
            row.touched_at = utcnow() - timedelta(days=8)
            session.add(row)
    assert bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(REMINDER_JOB)
    start = len(bot.api.calls)
    await job.run(bot.app)
    sent = [c for c in bot.api.calls[start:] if c.method == "sendMessage"]
    assert [c.chat_id for c in sent] == [ADMIN_2]
    text = parse_html(sent[0].text or "")
    # the admin never chose a language: Chinese, the office's default, as for interest notices
    assert text.startswith("⏰ 您负责的 1 条线索已 7 天未跟进：")
    assert f"#{stale} · DEV-001" in text and "DEV-002" not in text and "DEV-003" not in text


async def test_forget_removes_the_investors_data_from_leads_and_keeps_the_counts(
    bot: BotHarness,
) -> None:
    lead_id = interest(bot, SHARING, "DEV-001", share=True, note="my phone is 138 0000 0000")
    with session_scope(bot.services.db) as session:
        leads.add_note(session, lead_id=lead_id, text="Called Wang Wei", actor="cli")
        before = leads.counts_by_status(session)
    await bot.send(SHARING, "/forget")
    await bot.press(SHARING, "f:yes")
    row = lead_row(bot, lead_id)
    assert (row.investor_id, row.share_contact) == (None, False)
    with Session(bot.services.db) as session:
        assert session.exec(select(LeadNote).where(col(LeadNote.lead_id) == lead_id)).all() == []
        after = leads.counts_by_status(session)
    assert after == before and after["new"] == 1 and sum(after.values()) == 1
    text = parse_html((await bot.send(ADMIN_ID, "/leads")).texts()[1])
    assert "the investor deleted their data" in text
    assert "inv881002" not in text and "138" not in text and "Wang" not in text
