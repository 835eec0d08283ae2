"""`tuijie leads` / `tuijie report`: the office's follow-up and period report from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from sqlmodel import Session

from bot.settings import Settings
from bot.views.office_report import report_workbook
from catalog import reports
from catalog.db import open_database
from catalog.errors import CatalogError
from catalog.leads import LeadView, list_leads


def _fail(message: str, code: int = 2) -> int:
    print(f"tuijie: {message}", file=sys.stderr)
    return code


def lead_json(view: LeadView) -> dict[str, object]:
    """A lead as one JSON object (the contact only with the investor's consent)."""
    lead = view.lead
    return {
        "id": lead.id,
        "code": view.code,
        "name": view.name,
        "status": lead.status,
        "owner": lead.owner_id,
        "created_at": lead.created_at.isoformat(),
        "touched_at": lead.touched_at.isoformat(),
        "share_contact": lead.share_contact,
        "contact": view.contact,
        "notes": [{"at": n.at.isoformat(), "author": n.author, "text": n.text} for n in view.notes],
    }


def cmd_leads(args: argparse.Namespace, settings: Settings) -> int:
    """Open leads newest first (or those of one status), as a table or JSON lines."""
    db = open_database(settings.database_url)
    try:
        with Session(db) as session:
            views = list_leads(session, status=args.status, limit=None)
    except CatalogError as exc:
        return _fail(str(exc))
    finally:
        db.dispose()
    for view in views:
        if args.json:
            print(json.dumps(lead_json(view), ensure_ascii=False))
            continue
        lead = view.lead
        owner = lead.owner_id or "-"
        contact = view.contact or ("-" if lead.investor_id else "(forgotten)")
        print(
            f"#{lead.id}\t{lead.created_at:%Y-%m-%d}\t{lead.status}\t{view.code}\t{view.name}"
            f"\towner {owner}\t{contact}\t{len(view.notes)} note(s)"
        )
    if not args.json:
        print(f"{len(views)} lead(s)", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the period's workbook (leads, interest per project, search gaps) to FILE.xlsx."""
    target = Path(args.file)
    if target.suffix.lower() != ".xlsx":
        return _fail(f"{target}: the report is an .xlsx file")
    try:
        period = reports.Period.of_days(
            date.fromisoformat(args.start), date.fromisoformat(args.end)
        )
    except ValueError as exc:
        return _fail(f"bad date: {exc} (use YYYY-MM-DD)")
    except CatalogError as exc:
        return _fail(str(exc))
    db = open_database(settings.database_url)
    try:
        with Session(db) as session:
            content = report_workbook(session, period=period)
    finally:
        db.dispose()
    target.write_bytes(content)
    print(f"{target}: report {args.start} – {args.end} written")
    return 0
