"""The /stats pictures and the /report workbook, through the real Application over a real
SQLite database: each PNG is opened and checked, the workbook's sheets and totals are read."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_ID, DEV_CATALOG, bare_services
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import col, select

from bot.local.api import parse_html
from bot.views.charts import DPI, SIZE
from bot.views.office_report import SHEETS
from catalog import leads, subscriptions
from catalog.db import session_scope
from catalog.importer import import_into
from catalog.investors import get_or_create_investor, log_query
from catalog.models import Project
from index.gaps import wanted_missing

INVESTORS = [882_001, 882_002, 882_003]
OTHER = 882_009


def seed(bot: BotHarness) -> None:
    """3 investors: 4 leads (one signed), 6 searches of which 2 found nothing, a subscription."""
    with session_scope(bot.services.db) as session:
        ids = []
        for user in INVESTORS:
            investor = get_or_create_investor(session, telegram_user_id=user)
            assert investor.id is not None
            ids.append(investor.id)
        projects = {
            p.code: p.id
            for p in session.exec(select(Project).where(col(Project.code).like("DEV-00%"))).all()
        }
        pairs = [(ids[0], "DEV-001"), (ids[1], "DEV-001"), (ids[2], "DEV-001"), (ids[0], "DEV-002")]
        for investor_id, code in pairs:
            lead = leads.open_lead(
                session, investor_id=investor_id, project_id=projects[code], share_contact=False
            )
        assert lead.id is not None
        leads.set_status(session, lead_id=lead.id, status="signed", actor="cli")
        for words, found in [("光伏", 3), ("数据中心", 2), ("氢能", 1), ("储能", 4)]:
            log_query(session, investor_id=ids[0], query=words, normalized=words, results=found)
        for words in ("西藏 体育场馆", "西藏 体育场馆"):
            log_query(session, investor_id=ids[1], query=words, normalized=words, results=0)
        old = log_query(session, investor_id=ids[1], query="old", normalized="old", results=0)
        old.at = datetime.now(UTC) - timedelta(days=90)  # outside both the chart and the report
        session.add(old)
        subscriptions.subscribe(
            session, investor_id=ids[2], chat_id=INVESTORS[2], mode="filter", regions=["海南"]
        )


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = bare_services(tmp_path)
    with session_scope(svc.db) as session:
        import_into(session, DEV_CATALOG, fmt="jsonl")
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en")
        harness.user(OTHER, language_code="en")
        yield harness
    svc.db.dispose()


def not_blank(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(SIZE[0] * DPI), int(SIZE[1] * DPI))
    histogram = image.convert("L").histogram()  # pixels per grey level, 0 black .. 255 white
    inked = sum(histogram[:200])
    assert inked > sum(histogram) * 0.01, "the chart is (nearly) blank"
    return image


async def test_stats_keeps_its_text_and_adds_four_charts(bot: BotHarness) -> None:
    seed(bot)
    calls = await bot.send(ADMIN_ID, "/stats")
    assert calls.methods == ["sendMessage", "sendPhoto", "sendPhoto", "sendPhoto", "sendPhoto"]
    assert parse_html(calls.texts()[0]).startswith("📊 Catalog: 36 projects")
    photos = calls.of("sendPhoto")
    assert [c.result["caption"] for c in photos] == [
        "Searches per day (last 30 days) and the share that found nothing",
        "Leads by status",
        "Interest per project (top 15, leads)",
        "Most wanted sectors and regions the catalog lacks",
    ]
    for call in photos:
        stored = bot.api.files[call.result["photo"][0]["file_id"]]
        not_blank(stored.content)


async def test_charts_draw_on_an_empty_database_too(bot: BotHarness) -> None:
    calls = await bot.send(ADMIN_ID, "/stats")
    for call in calls.of("sendPhoto"):
        not_blank(bot.api.files[call.result["photo"][0]["file_id"]].content)


async def test_report_workbook_has_the_sheets_and_totals(bot: BotHarness) -> None:
    seed(bot)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=6)
    calls = await bot.send(ADMIN_ID, f"/report {first} {today}")
    document = calls.last("sendDocument").result["document"]
    assert document["file_name"] == f"tuijie-report-{first:%Y%m%d}-{today:%Y%m%d}.xlsx"
    book = load_workbook(io.BytesIO(bot.api.files[document["file_id"]].content))
    assert tuple(book.sheetnames) == SHEETS
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["From"] == first.isoformat() and summary["To"] == today.isoformat()
    assert (summary["Searches"], summary["Searches that found nothing"]) == (6, 2)
    assert (summary["Leads"], summary["Leads signed"], summary["Leads new"]) == (4, 1, 3)
    lead_rows = list(book["Leads"].iter_rows(values_only=True))
    assert lead_rows[0][:4] == ("Lead", "Code", "Project", "Status") and len(lead_rows) == 5
    interest = list(book["Interest per project"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[2], r[3]) for r in interest] == [("DEV-001", 3, 0), ("DEV-002", 1, 1)]
    gaps = list(book["Search gaps"].iter_rows(values_only=True))[1:]
    assert ("search found nothing", "西藏 体育场馆", 2) in gaps
    assert ("province missing", "西藏自治区", 2) in gaps and (
        "province missing",
        "海南省",
        1,
    ) in gaps
    assert not any(row[1] == "old" for row in gaps)


async def test_a_period_outside_the_data_gives_an_empty_report(bot: BotHarness) -> None:
    seed(bot)
    calls = await bot.send(ADMIN_ID, "/report 2020-01-01 2020-01-31")
    content = bot.api.files[calls.last("sendDocument").result["document"]["file_id"]].content
    summary = dict(load_workbook(io.BytesIO(content))["Summary"].iter_rows(values_only=True))
    assert (summary["Searches"], summary["Leads"]) == (0, 0)


@pytest.mark.parametrize(
    "args", ["2026-12-01", "2026-12-31 2026-12-01", "2026-02-30 2026-03-01", "last week"]
)
async def test_report_refuses_a_bad_period(bot: BotHarness, args: str) -> None:
    calls = await bot.send(ADMIN_ID, f"/report {args}")
    assert calls.methods == ["sendMessage"]
    assert "Usage: /report" in parse_html(calls.texts()[0])


@pytest.mark.parametrize("command", ["/report", "/report 2026-01-01 2026-01-31"])
async def test_report_is_for_admins_only(bot: BotHarness, command: str) -> None:
    calls = await bot.send(OTHER, command)
    assert calls.texts() == ["⛔ This command is for catalog admins only."]


def test_gaps_are_wanted_sectors_and_provinces_the_catalog_does_not_offer() -> None:
    sectors, provinces = wanted_missing(
        empty_searches=[("西藏 体育场馆", 3), ("新能源", 2)],
        subscribed_sectors=Counter({"水务": 1}),
        subscribed_regions=Counter({"海南": 2, "陕西": 5}),
        industries=["新能源", "医疗卫生"],
        regions=["陕西省榆林市定边县"],
    )
    assert sectors == [("sports", 3), ("water", 1)]  # 新能源 is offered, so it is no gap
    assert provinces == [("西藏自治区", 3), ("海南省", 2)]  # 陕西 is offered
