"""What the office reads: the /stats pictures and the period report workbook (.xlsx).

Both are built from catalog.reports (plain figures) and index.gaps (what the catalog lacks);
the same functions serve /stats, /report and `tuijie report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from bot.views.charts import bars_chart, searches_chart
from bot.views.i18n import t
from catalog import reports
from catalog.leads import list_leads
from index.gaps import wanted_missing
from index.understanding.taxonomy import load_taxonomy

TOP_PROJECTS = 15
LEAD_COLUMNS: list[object] = [
    "Lead",
    "Code",
    "Project",
    "Status",
    "Owner",
    "Created",
    "Last change",
    "Contact",
    "Notes",
]
SHEETS = ("Summary", "Leads", "Interest per project", "Search gaps")


@dataclass(frozen=True)
class Gaps:
    empty_searches: list[tuple[str, int]]
    sectors: list[tuple[str, int]]  # sector key, times wanted
    provinces: list[tuple[str, int]]


def gaps(session: Session, *, period: reports.Period | None = None) -> Gaps:
    """The searches that found nothing and the sectors / provinces wanted but not offered."""
    empty = reports.empty_searches(session, period=period)
    sub_sectors, sub_regions = reports.subscription_words(session)
    industries, regions = reports.catalog_coverage(session)
    sectors, provinces = wanted_missing(
        empty_searches=empty,
        subscribed_sectors=sub_sectors,
        subscribed_regions=sub_regions,
        industries=industries,
        regions=regions,
    )
    return Gaps(empty, sectors, provinces)


def stats_charts(session: Session, lang: str) -> list[bytes]:
    """The four /stats pictures: searches per day, leads by status, interest, catalog gaps."""
    days = reports.searches_per_day(session, period=reports.Period.last_days())
    by_status = reports.leads_by_status(session)
    interest = reports.interest_per_project(session, top=TOP_PROJECTS)
    found = gaps(session)
    taxonomy = load_taxonomy()
    wanted = [(taxonomy.label(k, lang), n) for k, n in found.sectors[:8]]
    wanted += [(p, n) for p, n in found.provinces[:7]]
    return [
        searches_chart(lang, days),
        bars_chart(
            lang,
            "admin.chart.leads_title",
            [(t(lang, f"admin.leads.status.{s}"), n) for s, n in by_status.items()],
        ),
        bars_chart(lang, "admin.chart.interest_title", [(c, n) for c, _, n, _ in interest]),
        bars_chart(lang, "admin.chart.gaps_title", sorted(wanted, key=lambda p: -p[1])),
    ]


def _sheet_rows(session: Session, period: reports.Period) -> dict[str, list[list[object]]]:
    days = reports.searches_per_day(session, period=period)
    by_status = reports.leads_by_status(session, period=period)
    searches, empty = sum(n for _, n, _ in days), sum(e for _, _, e in days)
    summary: list[list[object]] = [
        ["From", period.since.date().isoformat()],
        ["To", period.last_day.isoformat()],
        ["Searches", searches],
        ["Searches that found nothing", empty],
        ["Leads", sum(by_status.values())],
        *[[f"Leads {status}", n] for status, n in by_status.items()],
    ]
    views = list_leads(session, open_only=False, since=period.since, until=period.until, limit=None)
    leads_rows: list[list[object]] = [LEAD_COLUMNS]
    for view in reversed(views):  # oldest first, as a register reads
        lead = view.lead
        leads_rows.append(
            [
                lead.id,
                view.code,
                view.name,
                lead.status,
                lead.owner_id or "",
                lead.created_at.replace(tzinfo=None),
                lead.touched_at.replace(tzinfo=None),
                view.contact or "",
                len(view.notes),
            ]
        )
    interest_rows: list[list[object]] = [["Code", "Project", "Leads", "Signed"]]
    interest_rows += [
        list(r) for r in reports.interest_per_project(session, period=period, top=None)
    ]
    found = gaps(session, period=period)
    taxonomy = load_taxonomy()
    gap_rows: list[list[object]] = [["Kind", "Wanted", "Times"]]
    gap_rows += [["search found nothing", q, n] for q, n in found.empty_searches]
    gap_rows += [["sector missing", taxonomy.label(k, "zh"), n] for k, n in found.sectors]
    gap_rows += [["province missing", p, n] for p, n in found.provinces]
    return dict(zip(SHEETS, (summary, leads_rows, interest_rows, gap_rows), strict=True))


def report_workbook(session: Session, *, period: reports.Period) -> bytes:
    """The period report as .xlsx bytes: summary, leads, interest per project, search gaps."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in _sheet_rows(session, period).items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
