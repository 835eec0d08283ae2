"""Figures for admins: the catalog, its audience, what investors ask and what finds nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.models import Interest, Investor, Project, QueryLog, Subscription


@dataclass(frozen=True)
class CatalogStats:
    by_status: dict[str, int]
    by_batch: dict[str, dict[str, int]]  # batch -> status -> count
    investors: int
    subscribers: int
    subscribers_by_mode: dict[str, int]
    interests: list[tuple[str, str, int]]  # (code, name, interested investors), most first
    top_queries: list[tuple[str, int]]
    empty_queries: list[tuple[str, int]]
    queries: int = 0


def catalog_stats(session: Session, *, top: int = 10) -> CatalogStats:
    """Everything /stats shows, read in one session."""
    by_status: dict[str, int] = {}
    by_batch: dict[str, dict[str, int]] = {}
    rows = session.exec(
        select(Project.batch, Project.status, func.count()).group_by(
            col(Project.batch), col(Project.status)
        )
    ).all()
    for batch, status, n in rows:
        by_status[status] = by_status.get(status, 0) + int(n)
        by_batch.setdefault(batch, {})[status] = int(n)
    investors = int(session.exec(select(func.count()).select_from(Investor)).one())
    by_mode = {
        mode: int(n)
        for mode, n in session.exec(
            select(Subscription.mode, func.count(func.distinct(Subscription.investor_id)))
            .where(col(Subscription.active).is_(True))
            .group_by(col(Subscription.mode))
        ).all()
    }
    subscribers = int(
        session.exec(
            select(func.count(func.distinct(Subscription.investor_id))).where(
                col(Subscription.active).is_(True)
            )
        ).one()
    )
    interest_rows = session.exec(
        select(Project.code, Project.name, func.count(func.distinct(Interest.investor_id)))
        .join(Interest, col(Interest.project_id) == col(Project.id))
        .group_by(col(Project.id), col(Project.code), col(Project.name))
        .order_by(func.count(func.distinct(Interest.investor_id)).desc(), col(Project.code))
        .limit(top)
    ).all()
    total_queries = int(session.exec(select(func.count()).select_from(QueryLog)).one())
    return CatalogStats(
        by_status=by_status,
        by_batch=dict(sorted(by_batch.items())),
        investors=investors,
        subscribers=subscribers,
        subscribers_by_mode=by_mode,
        interests=[(code, name, int(n)) for code, name, n in interest_rows],
        top_queries=_frequent(session, top=top, empty_only=False),
        empty_queries=_frequent(session, top=top, empty_only=True),
        queries=total_queries,
    )


def _frequent(session: Session, *, top: int, empty_only: bool) -> list[tuple[str, int]]:
    """The most frequent normalized queries (optionally only those that found nothing)."""
    n = func.count()
    query = select(QueryLog.normalized, n)
    if empty_only:
        query = query.where(QueryLog.results == 0)
    query = query.group_by(col(QueryLog.normalized)).order_by(n.desc(), col(QueryLog.normalized))
    return [(text, int(k)) for text, k in session.exec(query.limit(top)).all()]
