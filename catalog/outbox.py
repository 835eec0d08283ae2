"""The durable outbox of batch digests: one Delivery row per subscriber and batch.

Life of a row: ``pending`` -> ``sending`` (committed just before the HTTP request) ->
``sent`` | ``pending`` again (retryable error) | ``failed`` (gave up) | ``blocked`` (403; the
subscription is deactivated in the same transaction). Rows with nothing that fits the
subscriber are created ``skipped``. One process at a time sends: the holder of the ``outbox``
lease (catalog/lease.py). A claim (``sending``) records the claimer and is fenced by its lease,
so a process whose lease has expired claims nothing. A row left ``sending`` by a sender whose
lease expired (it was killed, or stopped without finishing) was interrupted between the
request and its commit: the next holder makes it ``unknown`` and does NOT resend it
(at-most-once for that narrow window; see README "Delivery guarantees"). Rows of a sender whose
lease is still live are its own business, never touched by another process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog import audit, lease
from catalog.errors import CatalogError
from catalog.models import (
    PUBLISHED,
    Batch,
    Delivery,
    Investor,
    Project,
    ProjectPublic,
    Subscription,
    utcnow,
)
from catalog.subscriptions import BLOCKED as REASON_BLOCKED
from catalog.subscriptions import active_subscriptions, deactivate

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SKIPPED = "skipped"
FAILED = "failed"
BLOCKED = "blocked"
UNKNOWN = "unknown"
STATUSES = (PENDING, SENDING, SENT, SKIPPED, FAILED, BLOCKED, UNKNOWN)
INTERRUPTED = "interrupted between request and commit; not resent"

# Chooses, for one subscriber, the codes of the batch's projects that fit them.
Selector = Callable[[Subscription, Investor | None, list[ProjectPublic]], list[str]]


class BatchNotFound(CatalogError):
    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(f"no batch {code!r}; known batches: {', '.join(known) or '(none)'}")
        self.code = code
        self.known = known


class BatchAlreadyAnnounced(CatalogError):
    def __init__(self, code: str, at: datetime | None, by: int | None) -> None:
        super().__init__(f"batch {code!r} was already announced at {at}")
        self.code = code
        self.at = at
        self.by = by


@dataclass(frozen=True)
class PublishResult:
    batch: str
    subscribers: int
    to_send: int
    skipped: int
    projects: int


@dataclass(frozen=True)
class Progress:
    batch: str
    counts: dict[str, int]

    def of(self, status: str) -> int:
        """How many rows have this status."""
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> bool:
        """True when no row waits to be sent or is being sent."""
        return self.of(PENDING) == 0 and self.of(SENDING) == 0

    @property
    def finished(self) -> int:
        """Rows in a final state (anything but pending/sending)."""
        return self.total - self.of(PENDING) - self.of(SENDING)


def known_batches(session: Session) -> list[str]:
    """Every batch code the catalog knows (from projects and the batch table), sorted."""
    codes = set(session.exec(select(Project.batch).distinct()).all())
    codes |= set(session.exec(select(Batch.code)).all())
    return sorted(codes)


def get_batch(session: Session, *, code: str) -> Batch | None:
    """The batch row with this code, if any."""
    return session.exec(select(Batch).where(Batch.code == code)).first()


def _ensure_batch(session: Session, code: str) -> Batch:
    """The batch row for `code`, created from its projects if missing; BatchNotFound if unknown."""
    batch = get_batch(session, code=code)
    if batch is not None:
        return batch
    dates = session.exec(select(col(Project.published_on)).where(Project.batch == code)).all()
    if not dates:
        raise BatchNotFound(code, known_batches(session))
    known_dates = [d for d in dates if d is not None]
    batch = Batch(code=code, published_on=max(known_dates) if known_dates else None)
    session.add(batch)
    try:
        session.flush()
    except IntegrityError as exc:  # someone created it at the same moment
        raise BatchAlreadyAnnounced(code, None, None) from exc
    return batch


def publish_batch(
    session: Session, *, batch_code: str, actor_id: int | None, select_codes: Selector
) -> PublishResult:
    """Mark the batch announced and create every subscriber's outbox row, in one transaction."""
    batch = _ensure_batch(session, batch_code.strip())
    now = utcnow()
    claimed = session.execute(
        update(Batch)
        .where(col(Batch.id) == batch.id, col(Batch.announced_at).is_(None))
        .values(announced_at=now, announced_by=actor_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(batch)
        raise BatchAlreadyAnnounced(batch.code, batch.announced_at, batch.announced_by)
    rows = session.exec(
        select(Project).where(Project.batch == batch.code, Project.status == PUBLISHED)
    ).all()
    projects = [ProjectPublic.model_validate(p) for p in rows]
    subs = active_subscriptions(session)
    investor_ids = [s.investor_id for s in subs]
    investors = {
        i.id: i for i in session.exec(select(Investor).where(col(Investor.id).in_(investor_ids)))
    }
    to_send = skipped = 0
    for sub in subs:
        codes = select_codes(sub, investors.get(sub.investor_id), projects) if projects else []
        status = PENDING if codes else SKIPPED
        to_send += status == PENDING
        skipped += status == SKIPPED
        session.add(
            Delivery(
                batch_code=batch.code,
                investor_id=sub.investor_id,
                subscription_id=sub.id,
                chat_id=sub.chat_id,
                project_codes=list(codes),
                status=status,
            )
        )
    result = PublishResult(batch.code, len(subs), to_send, skipped, len(projects))
    audit.record(
        session,
        actor=audit.actor_of(actor_id),
        action=audit.PUBLISH,
        changes={
            "batch": batch.code,
            "subscribers": len(subs),
            "to_send": to_send,
            "skipped": skipped,
            "projects": len(projects),
        },
    )
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent /publish won the race
        raise BatchAlreadyAnnounced(batch.code, now, actor_id) from exc
    return result


def resolve_interrupted(session: Session) -> int:
    """Rows left ``sending`` by a sender whose lease is no longer live (or by a version that
    recorded no sender) become ``unknown``, not resent; returns how many. Call it holding the
    outbox lease: then no other process can be sending them."""
    live = lease.live_holders(lease.OUTBOX)
    result = session.execute(
        update(Delivery)
        .where(
            col(Delivery.status) == SENDING,
            or_(col(Delivery.sender).is_(None), col(Delivery.sender).not_in(live)),
        )
        .values(status=UNKNOWN, last_error=INTERRUPTED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_uncertain(
    session: Session, *, delivery_id: int, error: str, sender: str | None = None
) -> bool:
    """The request may have been delivered (it timed out): ``unknown``, not resent unless an
    admin orders it (resend_uncertain)."""
    note = f"no answer in time; may have been delivered, not resent ({error})"
    return _set(session, delivery_id, SENDING, sender, status=UNKNOWN, last_error=note[:500])


def resend_uncertain(session: Session, *, batch_code: str) -> int:
    """An admin's order: the batch's uncertain digests go out again; returns how many."""
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.batch_code) == batch_code, col(Delivery.status) == UNKNOWN)
        .values(status=PENDING, last_error="resend ordered by an admin")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pending(session: Session, *, limit: int, exclude: Sequence[int] = ()) -> list[Delivery]:
    """The oldest pending rows, skipping the ids already being handled."""
    query = select(Delivery).where(Delivery.status == PENDING)
    if exclude:
        query = query.where(col(Delivery.id).not_in(list(exclude)))
    return list(session.exec(query.order_by(col(Delivery.id)).limit(limit)).all())


def _set(
    session: Session, delivery_id: int, expect: str, sender: str | None = None, **values: object
) -> bool:
    """Move one row from status `expect` to `values`; False if it was not in that status.

    With `sender`, only that sender's claim is moved, and a claim another holder resolved as
    interrupted (it took the lease while this one was frozen) still takes the outcome that
    arrived late: a late answer says what really happened, which beats "unknown".
    """
    condition = col(Delivery.status) == expect
    if sender is not None and expect == SENDING:
        late = and_(col(Delivery.status) == UNKNOWN, col(Delivery.last_error) == INTERRUPTED)
        condition = and_(col(Delivery.sender) == sender, or_(condition, late))
    result = session.execute(
        update(Delivery).where(col(Delivery.id) == delivery_id, condition).values(**values)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def mark_sending(session: Session, *, delivery_id: int, sender: str | None = None) -> bool:
    """Claim a pending row for one attempt (commit this before the request). With `sender`
    (a lease holder id) the claim records it and only succeeds while its outbox lease is live."""
    query = update(Delivery).where(col(Delivery.id) == delivery_id, col(Delivery.status) == PENDING)
    if sender is not None:
        query = query.where(lease.held(lease.OUTBOX, sender))
    result = session.execute(
        query.values(status=SENDING, sender=sender, attempts=col(Delivery.attempts) + 1)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def mark_sent(
    session: Session, *, delivery_id: int, message_id: int | None, sender: str | None = None
) -> bool:
    """Record a successful send."""
    return _set(
        session,
        delivery_id,
        SENDING,
        sender,
        status=SENT,
        message_id=message_id,
        sent_at=utcnow(),
        last_error=None,
    )


def mark_retry(
    session: Session, *, delivery_id: int, error: str, sender: str | None = None
) -> bool:
    """Put a row back to pending after a retryable error (the attempt stays counted)."""
    return _set(session, delivery_id, SENDING, sender, status=PENDING, last_error=error[:500])


def mark_unsent(
    session: Session, *, delivery_id: int, error: str, sender: str | None = None
) -> bool:
    """Put a row back to pending without counting the attempt (e.g. flood control, shutdown)."""
    return _set(
        session,
        delivery_id,
        SENDING,
        sender,
        status=PENDING,
        last_error=error[:500],
        attempts=col(Delivery.attempts) - 1,
    )


def mark_failed(
    session: Session, *, delivery_id: int, error: str, sender: str | None = None
) -> bool:
    """Give up on a row."""
    return _set(session, delivery_id, SENDING, sender, status=FAILED, last_error=error[:500])


def mark_skipped(session: Session, *, delivery_id: int, reason: str) -> bool:
    """A pending row with nothing left to send (e.g. its projects were withdrawn)."""
    return _set(session, delivery_id, PENDING, status=SKIPPED, last_error=reason[:500])


def mark_blocked(
    session: Session, *, delivery_id: int, error: str, sender: str | None = None
) -> bool:
    """The subscriber blocked the bot: the row is final and the subscription deactivated."""
    row = session.get(Delivery, delivery_id)
    if row is None or not _set(
        session, delivery_id, SENDING, sender, status=BLOCKED, last_error=error[:500]
    ):
        return False
    if row.subscription_id is not None:
        deactivate(session, subscription_id=row.subscription_id, reason=REASON_BLOCKED)
    return True


def progress(session: Session, *, batch_code: str) -> Progress:
    """Counts of the batch's rows by status."""
    query = (
        select(Delivery.status, func.count())
        .where(Delivery.batch_code == batch_code)
        .group_by(col(Delivery.status))
    )
    return Progress(batch_code, {status: int(n) for status, n in session.exec(query).all()})


def batches_in_flight(session: Session) -> list[str]:
    """Batches with rows still pending or sending, oldest first."""
    query = (
        select(Delivery.batch_code, func.min(Delivery.id))
        .where(col(Delivery.status).in_([PENDING, SENDING]))
        .group_by(col(Delivery.batch_code))
        .order_by(func.min(Delivery.id))
    )
    return [code for code, _ in session.exec(query).all()]
