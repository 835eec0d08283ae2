"""Investors: get-or-create, profile, language, interests, query log and forgetting.

Keyword-only CRUD functions that take the session; objects come back detached-safe
(sessions use expire_on_commit=False).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from catalog.errors import CatalogError, ProjectNotFound
from catalog.leads import anonymise_leads
from catalog.models import (
    PUBLISHED,
    Delivery,
    Interest,
    Investor,
    Project,
    ProjectPublic,
    QueryLog,
    Subscription,
    utcnow,
)

PROFILE_FIELDS = (
    "sectors",
    "regions",
    "ticket_min_cny",
    "ticket_max_cny",
    "cooperation_modes",
    "stages",
)
LIST_FIELDS = ("sectors", "regions", "cooperation_modes", "stages")


class InvestorNotFound(CatalogError):
    def __init__(self, telegram_user_id: int) -> None:
        super().__init__(f"no investor with Telegram id {telegram_user_id}")
        self.telegram_user_id = telegram_user_id


class InvalidProfile(CatalogError):
    """A profile change that makes no sense (unknown field, min above max...)."""


@dataclass(frozen=True)
class InterestView:
    """One of an investor's interests with the project it is about."""

    interest: Interest
    project: ProjectPublic


@dataclass(frozen=True)
class Forgotten:
    """What /forget deleted."""

    investor: bool
    interests: int
    subscriptions: int
    deliveries: int


def get_investor(session: Session, *, telegram_user_id: int) -> Investor | None:
    """The investor with this Telegram user id, if they have used the bot."""
    return session.exec(
        select(Investor).where(col(Investor.telegram_user_id) == telegram_user_id)
    ).first()


def require_investor(session: Session, *, telegram_user_id: int) -> Investor:
    """The investor with this Telegram user id; InvestorNotFound otherwise."""
    investor = get_investor(session, telegram_user_id=telegram_user_id)
    if investor is None:
        raise InvestorNotFound(telegram_user_id)
    return investor


def get_or_create_investor(
    session: Session,
    *,
    telegram_user_id: int,
    chat_id: int | None = None,
    username: str | None = None,
    full_name: str | None = None,
) -> Investor:
    """The investor for this Telegram user, created on first contact; keeps names current."""
    investor = get_investor(session, telegram_user_id=telegram_user_id)
    if investor is None:
        investor = Investor(telegram_user_id=telegram_user_id)
    changed = investor.id is None
    for name, value in (("chat_id", chat_id), ("username", username), ("full_name", full_name)):
        if value is not None and getattr(investor, name) != value:
            setattr(investor, name, value)
            changed = True
    if changed:
        investor.updated_at = utcnow()
        session.add(investor)
        session.flush()
    return investor


def update_profile(session: Session, *, telegram_user_id: int, **changes: Any) -> Investor:
    """Change some profile fields (sectors, regions, ticket bounds, cooperation modes, stages)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidProfile(f"not profile fields: {', '.join(sorted(unknown))}")
    investor = require_investor(session, telegram_user_id=telegram_user_id)
    for name, value in changes.items():
        if name in LIST_FIELDS:
            value = list(dict.fromkeys(str(v).strip() for v in (value or []) if str(v).strip()))
        elif value is not None:
            value = float(value)
            if value < 0:
                raise InvalidProfile(f"{name} must not be negative")
        setattr(investor, name, value)
    low, high = investor.ticket_min_cny, investor.ticket_max_cny
    if low is not None and high is not None and low > high:
        raise InvalidProfile("the ticket minimum is above the maximum")
    investor.updated_at = utcnow()
    session.add(investor)
    session.flush()
    return investor


def has_profile(investor: Investor) -> bool:
    """Whether any profile field is set."""
    return any(getattr(investor, name) not in (None, []) for name in PROFILE_FIELDS)


def set_language(session: Session, *, telegram_user_id: int, language: str) -> Investor:
    """Remember the investor's language."""
    investor = require_investor(session, telegram_user_id=telegram_user_id)
    investor.language = language
    investor.updated_at = utcnow()
    session.add(investor)
    session.flush()
    return investor


def record_interest(
    session: Session,
    *,
    investor_id: int,
    project_id: int,
    note: str | None = None,
    share_contact: bool = False,
) -> Interest:
    """Record (or update) an investor's interest in a published project."""
    project = session.get(Project, project_id)
    if project is None or project.status != PUBLISHED:
        raise ProjectNotFound(str(project_id))
    interest = session.exec(
        select(Interest).where(
            col(Interest.investor_id) == investor_id, col(Interest.project_id) == project_id
        )
    ).first()
    if interest is None:
        interest = Interest(investor_id=investor_id, project_id=project_id)
    interest.note = (note or "").strip() or interest.note
    interest.share_contact = share_contact
    interest.created_at = utcnow()
    session.add(interest)
    session.flush()
    return interest


def interests_of(session: Session, *, investor_id: int) -> list[InterestView]:
    """An investor's interests, newest first, with their projects."""
    rows = session.exec(
        select(Interest, Project)
        .join(Project, col(Project.id) == col(Interest.project_id))
        .where(col(Interest.investor_id) == investor_id)
        .order_by(col(Interest.created_at).desc(), col(Interest.id).desc())
    ).all()
    return [
        InterestView(interest=i, project=ProjectPublic.model_validate(p.model_dump()))
        for i, p in rows
    ]


def log_query(
    session: Session, *, investor_id: int | None, query: str, normalized: str, results: int
) -> QueryLog:
    """Remember what an investor searched for and how many results they got."""
    entry = QueryLog(
        investor_id=investor_id, query=query[:1000], normalized=normalized[:500], results=results
    )
    session.add(entry)
    session.flush()
    return entry


def get_query(session: Session, *, query_id: int) -> QueryLog | None:
    """A logged query (used for paging through its results)."""
    return session.get(QueryLog, query_id)


def forget_investor(session: Session, *, telegram_user_id: int) -> Forgotten:
    """Delete the investor, interests, subscriptions and deliveries; anonymise their queries."""
    investor = get_investor(session, telegram_user_id=telegram_user_id)
    if investor is None or investor.id is None:
        return Forgotten(investor=False, interests=0, subscriptions=0, deliveries=0)
    iid = investor.id
    anonymise_leads(session, investor_id=iid)  # the leads stay as anonymous counts
    deliveries = session.execute(delete(Delivery).where(col(Delivery.investor_id) == iid))
    interests = session.execute(delete(Interest).where(col(Interest.investor_id) == iid))
    subscriptions = session.execute(
        delete(Subscription).where(col(Subscription.investor_id) == iid)
    )
    session.execute(
        update(QueryLog).where(col(QueryLog.investor_id) == iid).values(investor_id=None)
    )
    session.delete(investor)
    session.flush()
    return Forgotten(
        investor=True,
        interests=int(interests.rowcount or 0),  # type: ignore[attr-defined]
        subscriptions=int(subscriptions.rowcount or 0),  # type: ignore[attr-defined]
        deliveries=int(deliveries.rowcount or 0),  # type: ignore[attr-defined]
    )
