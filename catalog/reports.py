"""Figures for the office's pictures and its report: searches per day, leads, interest per
project, what investors asked for that found nothing; and the .xlsx a director asks for.

Keyword-only functions that take the session. Periods are [since, until) in UTC.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, case, cast, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from catalog.errors import CatalogError
from catalog.models import (
    LEAD_SIGNED,
    LEAD_STATUSES,
    PUBLISHED,
    Lead,
    Project,
    QueryLog,
    Subscription,
)

CHART_DAYS = 30


class InvalidPeriod(CatalogError):
    """A report period that makes no sense (end before start)."""


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    @property
    def last_day(self) -> date:
        """The last day the period includes."""
        return (self.until - timedelta(days=1)).date()

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        """The days first..last inclusive; InvalidPeriod if last is before first."""
        if last < first:
            raise InvalidPeriod(f"the period ends ({last}) before it starts ({first})")
        start = datetime.combine(first, time(), tzinfo=UTC)
        return cls(start, datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC))

    @classmethod
    def last_days(cls, days: int = CHART_DAYS, today: date | None = None) -> Period:
        end = today or datetime.now(UTC).date()
        return cls.of_days(end - timedelta(days=days - 1), end)


def _day(session: Session, column: Any) -> ColumnElement[Any]:
    """The calendar day of a timestamp, in SQL both SQLite and PostgreSQL understand."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def searches_per_day(session: Session, *, period: Period) -> list[tuple[date, int, int]]:
    """(day, searches, searches that found nothing) for every day of the period, zeros included."""
    day = _day(session, col(QueryLog.at))
    empty = func.sum(case((col(QueryLog.results) == 0, 1), else_=0))
    rows = session.exec(
        select(day, func.count(), empty)
        .where(col(QueryLog.at) >= period.since, col(QueryLog.at) < period.until)
        .group_by(day)
    ).all()
    found = {str(d)[:10]: (int(n), int(e or 0)) for d, n, e in rows}
    out = []
    current = period.since.date()
    while current < period.until.date():
        n, e = found.get(current.isoformat(), (0, 0))
        out.append((current, n, e))
        current += timedelta(days=1)
    return out


def leads_by_status(session: Session, *, period: Period | None = None) -> dict[str, int]:
    """Leads per status (every status named), optionally only those created in the period."""
    query = select(Lead.status, func.count())
    if period is not None:
        query = query.where(
            col(Lead.created_at) >= period.since, col(Lead.created_at) < period.until
        )
    found = {s: int(n) for s, n in session.exec(query.group_by(col(Lead.status))).all()}
    return {status: found.get(status, 0) for status in LEAD_STATUSES}


def interest_per_project(
    session: Session, *, period: Period | None = None, top: int | None = 15
) -> list[tuple[str, str, int, int]]:
    """(code, name, leads, signed) per project, most wanted first (leads keep counting after
    /forget, so this is what the office achieved, anonymously)."""
    n = func.count(col(Lead.id))
    signed = func.sum(case((col(Lead.status) == LEAD_SIGNED, 1), else_=0))
    query = select(Project.code, Project.name, n, signed).join(
        Lead, col(Lead.project_id) == col(Project.id)
    )
    if period is not None:
        query = query.where(
            col(Lead.created_at) >= period.since, col(Lead.created_at) < period.until
        )
    query = query.group_by(col(Project.id), col(Project.code), col(Project.name)).order_by(
        n.desc(), col(Project.code)
    )
    if top is not None:
        query = query.limit(top)
    return [(c, name, int(k), int(s or 0)) for c, name, k, s in session.exec(query).all()]


def empty_searches(
    session: Session, *, period: Period | None = None, top: int = 200
) -> list[tuple[str, int]]:
    """The most frequent normalized searches that found nothing."""
    n = func.count()
    query = select(QueryLog.normalized, n).where(col(QueryLog.results) == 0)
    if period is not None:
        query = query.where(col(QueryLog.at) >= period.since, col(QueryLog.at) < period.until)
    query = query.group_by(col(QueryLog.normalized)).order_by(n.desc(), col(QueryLog.normalized))
    return [(text, int(k)) for text, k in session.exec(query.limit(top)).all()]


def subscription_words(session: Session) -> tuple[Counter[str], Counter[str]]:
    """The sectors and regions active subscriptions ask for, with how many ask."""
    sectors: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    rows = session.exec(
        select(Subscription.sectors, Subscription.regions).where(col(Subscription.active).is_(True))
    ).all()
    for sector_words, region_words in rows:
        sectors.update(dict.fromkeys(sector_words or [], 1))
        regions.update(dict.fromkeys(region_words or [], 1))
    return sectors, regions


def catalog_coverage(session: Session) -> tuple[list[str], list[str]]:
    """The distinct industries and regions of published projects (what the catalog offers)."""
    industries = session.exec(
        select(Project.industry).where(col(Project.status) == PUBLISHED).distinct()
    ).all()
    regions = session.exec(
        select(Project.region).where(col(Project.status) == PUBLISHED).distinct()
    ).all()
    return [i for i in industries if i], [r for r in regions if r]
