"""Leads: each interest as the office follows it up (status, owner, dated notes).

Keyword-only functions that take the session. Every change an admin makes is written to the
audit log in the same transaction (actions lead.take, lead.status, lead.note).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from catalog import audit
from catalog.errors import CatalogError, ProjectNotFound
from catalog.models import (
    LEAD_OPEN,
    LEAD_STATUSES,
    Investor,
    Lead,
    LeadNote,
    Project,
    utcnow,
)

TAKE, STATUS, NOTE = "lead.take", "lead.status", "lead.note"
INVESTOR_AUTHOR = "investor"
MAX_NOTE = 1000
STALE_DAYS = 7


class LeadNotFound(CatalogError):
    def __init__(self, lead_id: int) -> None:
        super().__init__(f"no lead #{lead_id}")
        self.lead_id = lead_id


class InvalidLead(CatalogError):
    """A lead change that makes no sense (unknown status, empty note)."""


@dataclass(frozen=True)
class LeadView:
    """A lead with its project and, only if the investor consented, how to reach them."""

    lead: Lead
    code: str
    name: str
    contact: str | None  # "@username" or the full name; None without consent or after /forget
    telegram_user_id: int | None  # only with consent
    notes: list[LeadNote]


def open_lead(
    session: Session,
    *,
    investor_id: int,
    project_id: int,
    share_contact: bool,
    note: str | None = None,
) -> Lead:
    """The investor's lead on this project, created on the first interest; consent as given."""
    lead = session.exec(
        select(Lead).where(col(Lead.investor_id) == investor_id, col(Lead.project_id) == project_id)
    ).first()
    if lead is None:
        lead = Lead(investor_id=investor_id, project_id=project_id)
    lead.share_contact = share_contact
    session.add(lead)
    session.flush()
    assert lead.id is not None
    text = (note or "").strip()
    if text:
        session.add(LeadNote(lead_id=lead.id, author=INVESTOR_AUTHOR, text=text[:MAX_NOTE]))
        session.flush()
    return lead


def _require(session: Session, lead_id: int) -> tuple[Lead, str]:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    project = session.get(Project, lead.project_id)
    return lead, project.code if project is not None else "?"


def take_lead(session: Session, *, lead_id: int, admin_id: int, actor: str) -> Lead:
    """Make this admin the lead's owner (audited)."""
    lead, code = _require(session, lead_id)
    before = lead.owner_id
    lead.owner_id = admin_id
    lead.touched_at = utcnow()
    session.add(lead)
    audit.record(
        session,
        actor=actor,
        action=TAKE,
        project_code=code,
        changes={"lead": lead_id, "owner": [before, admin_id]},
    )
    session.flush()
    return lead


def set_status(session: Session, *, lead_id: int, status: str, actor: str) -> Lead:
    """Move the lead to another status (audited); InvalidLead for an unknown one."""
    if status not in LEAD_STATUSES:
        raise InvalidLead(f"unknown status {status!r}; one of {', '.join(LEAD_STATUSES)}")
    lead, code = _require(session, lead_id)
    before = lead.status
    lead.status = status
    lead.touched_at = utcnow()
    session.add(lead)
    audit.record(
        session,
        actor=actor,
        action=STATUS,
        project_code=code,
        changes={"lead": lead_id, "status": [before, status]},
    )
    session.flush()
    return lead


def add_note(session: Session, *, lead_id: int, text: str, actor: str) -> LeadNote:
    """Add a dated note to the lead (audited; the log names the note, not its text)."""
    text = text.strip()
    if not text:
        raise InvalidLead("a note needs some text")
    lead, code = _require(session, lead_id)
    note = LeadNote(lead_id=lead_id, author=actor, text=text[:MAX_NOTE])
    session.add(note)
    lead.touched_at = utcnow()
    session.add(lead)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=NOTE,
        project_code=code,
        changes={"lead": lead_id, "note": note.id},
    )
    session.flush()
    return note


def _views(session: Session, leads: list[Lead]) -> list[LeadView]:
    ids = [lead.id for lead in leads if lead.id is not None]
    notes: dict[int, list[LeadNote]] = {}
    if ids:
        rows = session.exec(
            select(LeadNote).where(col(LeadNote.lead_id).in_(ids)).order_by(col(LeadNote.id))
        ).all()
        for note in rows:
            notes.setdefault(note.lead_id, []).append(note)
    views = []
    for lead in leads:
        project = session.get(Project, lead.project_id)
        investor = session.get(Investor, lead.investor_id) if lead.investor_id else None
        contact, user_id = None, None
        if investor is not None and lead.share_contact:
            contact = f"@{investor.username}" if investor.username else investor.full_name
            user_id = investor.telegram_user_id
        views.append(
            LeadView(
                lead=lead,
                code=project.code if project else "?",
                name=project.name if project else "?",
                contact=contact,
                telegram_user_id=user_id,
                notes=notes.get(lead.id or 0, []),
            )
        )
    return views


def list_leads(
    session: Session,
    *,
    status: str | None = None,
    project_code: str | None = None,
    open_only: bool = True,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 20,
) -> list[LeadView]:
    """Leads newest first: open ones (or one status), optionally of one project or created in
    [since, until)."""
    query = select(Lead)
    if since is not None:
        query = query.where(col(Lead.created_at) >= since)
    if until is not None:
        query = query.where(col(Lead.created_at) < until)
    if status is not None:
        if status not in LEAD_STATUSES:
            raise InvalidLead(f"unknown status {status!r}; one of {', '.join(LEAD_STATUSES)}")
        query = query.where(col(Lead.status) == status)
    elif open_only:
        query = query.where(col(Lead.status).in_(LEAD_OPEN))
    if project_code is not None:
        project = session.exec(select(Project).where(col(Project.code) == project_code)).first()
        if project is None:
            raise ProjectNotFound(project_code)
        query = query.where(col(Lead.project_id) == project.id)
    query = query.order_by(col(Lead.created_at).desc(), col(Lead.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return _views(session, list(session.exec(query).all()))


def get_lead(session: Session, *, lead_id: int) -> LeadView:
    """One lead with its notes; LeadNotFound otherwise."""
    lead, _ = _require(session, lead_id)
    return _views(session, [lead])[0]


def stale_leads(
    session: Session, *, now: datetime | None = None, days: int = STALE_DAYS
) -> dict[int, list[LeadView]]:
    """Open leads with an owner, untouched for `days` days: owner id -> their leads."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    rows = session.exec(
        select(Lead)
        .where(
            col(Lead.status).in_(LEAD_OPEN),
            col(Lead.owner_id).is_not(None),
            col(Lead.touched_at) < cutoff,
        )
        .order_by(col(Lead.touched_at), col(Lead.id))
    ).all()
    by_owner: dict[int, list[LeadView]] = {}
    for view in _views(session, list(rows)):
        assert view.lead.owner_id is not None
        by_owner.setdefault(view.lead.owner_id, []).append(view)
    return by_owner


def counts_by_status(session: Session) -> dict[str, int]:
    """How many leads there are in each status (every status named, zero included)."""
    rows = session.exec(select(Lead.status, func.count()).group_by(col(Lead.status))).all()
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in LEAD_STATUSES}


def anonymise_leads(session: Session, *, investor_id: int) -> int:
    """For /forget: unlink the investor's leads and drop their notes; the counts stay."""
    ids = list(session.exec(select(Lead.id).where(col(Lead.investor_id) == investor_id)).all())
    if not ids:
        return 0
    session.execute(delete(LeadNote).where(col(LeadNote.lead_id).in_(ids)))
    session.execute(
        update(Lead).where(col(Lead.id).in_(ids)).values(investor_id=None, share_contact=False)
    )
    return len(ids)
