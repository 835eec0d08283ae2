"""Subscriptions to new batches: every batch, only what fits the profile, or a sector/region filter.

An investor holds at most one active subscription; subscribing again replaces its terms.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from catalog.errors import CatalogError
from catalog.models import Subscription, utcnow

ALL = "all"
PROFILE = "profile"
FILTER = "filter"
MODES = (ALL, PROFILE, FILTER)

BLOCKED = "blocked"  # deactivated_reason when Telegram answered 403
UNSUBSCRIBED = "unsubscribed"


class InvalidSubscription(CatalogError):
    """A subscription request that cannot be stored (unknown mode, empty filter)."""


def _clean(values: list[str] | None) -> list[str]:
    """Trimmed, non-empty, de-duplicated values in their given order."""
    seen: list[str] = []
    for value in values or []:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def active_of(session: Session, *, investor_id: int) -> Subscription | None:
    """The investor's active subscription, if any."""
    query = (
        select(Subscription)
        .where(Subscription.investor_id == investor_id, col(Subscription.active).is_(True))
        .order_by(col(Subscription.id).desc())
    )
    return session.exec(query).first()


def subscribe(
    session: Session,
    *,
    investor_id: int,
    chat_id: int,
    mode: str,
    sectors: list[str] | None = None,
    regions: list[str] | None = None,
) -> Subscription:
    """Create or replace the investor's active subscription."""
    if mode not in MODES:
        raise InvalidSubscription(f"unknown subscription mode {mode!r}")
    sectors, regions = _clean(sectors), _clean(regions)
    if mode == FILTER and not (sectors or regions):
        raise InvalidSubscription("a filter subscription needs at least one sector or region")
    if mode != FILTER:
        sectors, regions = [], []
    sub = active_of(session, investor_id=investor_id)
    if sub is None:
        sub = Subscription(investor_id=investor_id, chat_id=chat_id)
    sub.chat_id = chat_id
    sub.mode = mode
    sub.sectors = sectors
    sub.regions = regions
    sub.active = True
    sub.deactivated_reason = None
    sub.updated_at = utcnow()
    session.add(sub)
    session.flush()
    return sub


def unsubscribe(session: Session, *, investor_id: int) -> bool:
    """Deactivate the investor's subscription; False if there was none."""
    sub = active_of(session, investor_id=investor_id)
    if sub is None:
        return False
    deactivate(session, subscription_id=sub.id or 0, reason=UNSUBSCRIBED)
    return True


def deactivate(session: Session, *, subscription_id: int, reason: str) -> bool:
    """Mark a subscription inactive with a reason (e.g. the bot was blocked); False if unknown."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or not sub.active:
        return False
    sub.active = False
    sub.deactivated_reason = reason
    sub.updated_at = utcnow()
    session.add(sub)
    return True


def active_subscriptions(session: Session) -> list[Subscription]:
    """Every active subscription, one per investor (the newest if there were several)."""
    query = (
        select(Subscription)
        .where(col(Subscription.active).is_(True))
        .order_by(col(Subscription.investor_id), col(Subscription.id).desc())
    )
    chosen: dict[int, Subscription] = {}
    for sub in session.exec(query):
        chosen.setdefault(sub.investor_id, sub)
    return list(chosen.values())


def history_of(session: Session, *, investor_id: int) -> list[Subscription]:
    """All the investor's subscriptions, active first, newest first."""
    query = (
        select(Subscription)
        .where(Subscription.investor_id == investor_id)
        .order_by(col(Subscription.active).desc(), col(Subscription.id).desc())
    )
    return list(session.exec(query).all())
