"""catalog.outbox + catalog.subscriptions on real SQLite: publish once, one row per subscriber."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from catalog import outbox, subscriptions
from catalog.db import session_scope
from catalog.models import (
    AuditEntry,
    Batch,
    Delivery,
    Investor,
    Project,
    ProjectPublic,
    Subscription,
)


def _seed(engine: Engine, *, investors: int = 4) -> list[int]:
    with session_scope(engine) as session:
        for i, (code, industry) in enumerate(
            [("N1", "新能源"), ("N2", "半导体"), ("N3", "新能源")]
        ):
            session.add(
                Project(
                    code=code,
                    name=code,
                    batch="2024-4" if i < 2 else "2024-3",
                    summary="s",
                    industry=industry,
                    region="山西省太原市",
                )
            )
        ids = []
        for i in range(investors):
            inv = Investor(telegram_user_id=1000 + i, chat_id=1000 + i, sectors=["半导体"])
            session.add(inv)
            session.flush()
            ids.append(inv.id or 0)
    return ids


def by_industry(
    sub: Subscription, inv: Investor | None, projects: list[ProjectPublic]
) -> list[str]:
    """A test selector: 'all' takes everything, others the projects in the listed sectors."""
    if sub.mode == subscriptions.ALL:
        return [p.code for p in projects]
    wanted = sub.sectors if sub.mode == subscriptions.FILTER else (inv.sectors if inv else [])
    return [p.code for p in projects if p.industry in wanted]


def test_subscribe_replaces_and_unsubscribe_deactivates(db_engine: Engine) -> None:
    (inv, *_rest) = _seed(db_engine)
    with session_scope(db_engine) as session:
        subscriptions.subscribe(session, investor_id=inv, chat_id=5, mode="all")
        sub = subscriptions.subscribe(
            session, investor_id=inv, chat_id=5, mode="filter", sectors=["新能源", " ", "新能源"]
        )
    with Session(db_engine) as session:
        rows = session.exec(select(Subscription)).all()
    assert len(rows) == 1 and rows[0].id == sub.id
    assert (rows[0].mode, rows[0].sectors, rows[0].regions) == ("filter", ["新能源"], [])
    with pytest.raises(subscriptions.InvalidSubscription), session_scope(db_engine) as session:
        subscriptions.subscribe(session, investor_id=inv, chat_id=5, mode="filter")
    with pytest.raises(subscriptions.InvalidSubscription), session_scope(db_engine) as session:
        subscriptions.subscribe(session, investor_id=inv, chat_id=5, mode="weekly")
    with session_scope(db_engine) as session:
        assert subscriptions.unsubscribe(session, investor_id=inv)
        assert not subscriptions.unsubscribe(session, investor_id=inv)
        assert subscriptions.active_subscriptions(session) == []
        assert subscriptions.history_of(session, investor_id=inv)[0].deactivated_reason == (
            "unsubscribed"
        )


def _subscribe_all(engine: Engine, ids: list[int], modes: list[tuple[str, list[str]]]) -> None:
    with session_scope(engine) as session:
        for inv, (mode, sectors) in zip(ids, modes, strict=True):
            subscriptions.subscribe(
                session, investor_id=inv, chat_id=inv * 10, mode=mode, sectors=sectors
            )


def test_publish_creates_one_row_per_subscriber_and_only_once(db_engine: Engine) -> None:
    ids = _seed(db_engine)
    _subscribe_all(
        db_engine,
        ids[:3],
        [("all", []), ("profile", []), ("filter", ["医疗"])],
    )
    with session_scope(db_engine) as session:
        result = outbox.publish_batch(
            session, batch_code="2024-4", actor_id=7, select_codes=by_industry
        )
    assert (result.subscribers, result.to_send, result.skipped, result.projects) == (3, 2, 1, 2)
    with Session(db_engine) as session:
        rows = {d.investor_id: d for d in session.exec(select(Delivery)).all()}
        batch = session.exec(select(Batch).where(Batch.code == "2024-4")).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "publish")).one()
    assert rows[ids[0]].project_codes == ["N1", "N2"] and rows[ids[0]].status == "pending"
    assert rows[ids[1]].project_codes == ["N2"]  # profile: 半导体
    assert rows[ids[2]].status == "skipped" and rows[ids[2]].project_codes == []
    assert rows[ids[0]].chat_id == ids[0] * 10
    assert batch.announced_by == 7 and batch.announced_at is not None
    assert entry.actor == "tg:7" and entry.changes["batch"] == "2024-4"

    with pytest.raises(outbox.BatchAlreadyAnnounced) as again, session_scope(db_engine) as s:
        outbox.publish_batch(s, batch_code="2024-4", actor_id=8, select_codes=by_industry)
    assert again.value.at is not None and again.value.by == 7
    with Session(db_engine) as session:
        assert len(session.exec(select(Delivery)).all()) == 3


def test_unknown_batch_lists_the_known_ones(db_engine: Engine) -> None:
    _seed(db_engine)
    with pytest.raises(outbox.BatchNotFound) as err, session_scope(db_engine) as session:
        outbox.publish_batch(session, batch_code="2099-1", actor_id=1, select_codes=by_industry)
    assert err.value.known == ["2024-3", "2024-4"]


def test_concurrent_publish_announces_once(db_engine: Engine) -> None:
    ids = _seed(db_engine, investors=30)
    _subscribe_all(db_engine, ids, [("all", [])] * 30)
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def publish(actor: int) -> None:
        barrier.wait()
        try:
            with session_scope(db_engine) as session:
                outcomes.append(
                    outbox.publish_batch(
                        session, batch_code="2024-4", actor_id=actor, select_codes=by_industry
                    )
                )
        except outbox.BatchAlreadyAnnounced as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=publish, args=(a,)) for a in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["BatchAlreadyAnnounced", "PublishResult"]
    with Session(db_engine) as session:
        assert len(session.exec(select(Delivery)).all()) == 30


def _published(engine: Engine) -> list[int]:
    ids = _seed(engine)
    _subscribe_all(engine, ids, [("all", [])] * 4)
    with session_scope(engine) as session:
        outbox.publish_batch(session, batch_code="2024-4", actor_id=1, select_codes=by_industry)
    with Session(engine) as session:
        return [d.id or 0 for d in outbox.pending(session, limit=10)]


def test_row_state_machine(db_engine: Engine) -> None:
    a, b, c, d = _published(db_engine)
    with session_scope(db_engine) as session:
        assert outbox.mark_sending(session, delivery_id=a)
        assert not outbox.mark_sending(session, delivery_id=a)  # already claimed
        assert outbox.mark_sent(session, delivery_id=a, message_id=99)
        assert outbox.mark_sending(session, delivery_id=b)
        assert outbox.mark_retry(session, delivery_id=b, error="500")
        assert outbox.mark_sending(session, delivery_id=c)
        assert outbox.mark_blocked(session, delivery_id=c, error="Forbidden")
        assert [r.id for r in outbox.pending(session, limit=10, exclude=[d])] == [b]
    with Session(db_engine) as session:
        rows = {r.id: r for r in session.exec(select(Delivery)).all()}
        blocked_sub = session.get(Subscription, rows[c].subscription_id)
        progress = outbox.progress(session, batch_code="2024-4")
    assert (rows[a].status, rows[a].message_id, rows[a].sent_at is not None) == ("sent", 99, True)
    assert (rows[b].status, rows[b].attempts, rows[b].last_error) == ("pending", 1, "500")
    assert blocked_sub is not None and not blocked_sub.active
    assert blocked_sub.deactivated_reason == "blocked"
    assert progress.counts == {"sent": 1, "pending": 2, "blocked": 1}
    assert not progress.done and progress.finished == 2


def test_rows_left_sending_by_a_crash_become_unknown(db_engine: Engine) -> None:
    a, b, *_ = _published(db_engine)
    with session_scope(db_engine) as session:
        outbox.mark_sending(session, delivery_id=a)
    with session_scope(db_engine) as session:
        assert outbox.batches_in_flight(session) == ["2024-4"]
        assert outbox.resolve_interrupted(session) == 1
    with Session(db_engine) as session:
        row = session.get(Delivery, a)
        assert row is not None and row.status == "unknown"
        assert next(r.id for r in outbox.pending(session, limit=10)) == b
