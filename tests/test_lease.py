"""The outbox lease (catalog/lease.py) and the outbox rows it guards (issue 11, item 12): one
holder at a time by compare-and-set, expiry by the database's clock, claims fenced by the lease,
and a row resolved as interrupted only when its sender's lease is gone. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from conftest import requires_postgres
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from catalog import lease, outbox, subscriptions
from catalog.db import open_database, session_scope
from catalog.models import Delivery, Investor, Project

A, B = "host-a:101:aaaa", "host-b:202:bbbb"
LONG = 600.0  # a lease that cannot expire during a test, however busy the machine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=requires_postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield request.getfixturevalue("db_engine")
    else:
        yield request.getfixturevalue("pg_engine")


def take(engine: Engine, holder: str, seconds: float = LONG) -> bool:
    with session_scope(engine) as session:
        return lease.acquire(session, name=lease.OUTBOX, holder=holder, seconds=seconds)


def info(engine: Engine) -> lease.LeaseInfo:
    with Session(engine) as session:
        return lease.current(session, name=lease.OUTBOX)


def test_one_holder_at_a_time_renew_and_release(engine: Engine) -> None:
    assert info(engine).holder is None and not info(engine).live  # the migration made it free
    assert take(engine, A)
    assert not take(engine, B)  # A's lease is live
    assert take(engine, A)  # taking it again is a renewal
    with session_scope(engine) as session:
        assert lease.renew(session, name=lease.OUTBOX, holder=A, seconds=LONG)
        assert not lease.renew(session, name=lease.OUTBOX, holder=B, seconds=LONG)
        assert not lease.release(session, name=lease.OUTBOX, holder=B)  # not B's to give
    now = info(engine)
    assert now.holder == A and LONG - 60 < now.seconds_left <= LONG
    with session_scope(engine) as session:
        assert lease.release(session, name=lease.OUTBOX, holder=A)
    assert not info(engine).live
    assert take(engine, B) and info(engine).holder == B


def test_an_expired_lease_is_taken_over_and_its_holder_cannot_renew(engine: Engine) -> None:
    assert take(engine, A, seconds=0.2)
    time.sleep(0.3)  # the database's clock passes the expiry (a busy machine only adds to it)
    assert not info(engine).live and info(engine).seconds_left < 0
    assert take(engine, B)
    with session_scope(engine) as session:
        assert not lease.renew(session, name=lease.OUTBOX, holder=A, seconds=LONG)
    assert info(engine).holder == B


def test_bad_holder_ids_and_durations_are_refused_and_change_nothing(engine: Engine) -> None:
    for holder, seconds in (("", 10.0), ("x" * 129, 10.0), (A, 0.0), (A, -1.0)):
        with pytest.raises(lease.BadLease), session_scope(engine) as session:
            lease.acquire(session, name=lease.OUTBOX, holder=holder, seconds=seconds)
    assert info(engine).holder is None


def test_a_lease_of_another_name_is_created_on_first_use(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert lease.acquire(session, name="reminder", holder=A, seconds=LONG)
    assert take(engine, B)  # a different lease: the outbox is still free


def _race(engine: Engine, holders: list[str]) -> list[str]:
    """Every holder tries to take the lease at the same moment, each on its own connection."""
    wins: list[str] = []
    barrier = threading.Barrier(len(holders))

    def race(holder: str) -> None:
        barrier.wait()
        if take(engine, holder):
            wins.append(holder)

    threads = [threading.Thread(target=race, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wins


def test_racing_processes_never_both_win(engine: Engine) -> None:
    for round_ in range(20):
        wins = _race(engine, [f"racer-{round_}-{i}" for i in range(4)])
        assert len(wins) == 1, wins
        assert info(engine).holder == wins[0]
        with session_scope(engine) as session:
            lease.release(session, name=lease.OUTBOX, holder=wins[0])


def published(engine: Engine, n: int = 4) -> list[int]:
    """A batch published to n subscribers; their pending row ids."""
    with session_scope(engine) as session:
        session.add(Project(code="L1", name="光伏", batch="LB", summary="s"))
        for i in range(n):
            inv = Investor(telegram_user_id=8000 + i, chat_id=8000 + i)
            session.add(inv)
            session.flush()
            subscriptions.subscribe(session, investor_id=inv.id or 0, chat_id=8000 + i, mode="all")
    with session_scope(engine) as session:
        outbox.publish_batch(
            session, batch_code="LB", actor_id=1, select_codes=lambda s, i, p: ["L1"]
        )
        return [d.id or 0 for d in outbox.pending(session, limit=n)]


def statuses(engine: Engine) -> dict[int, tuple[str, str | None]]:
    with Session(engine) as session:
        return {d.id or 0: (d.status, d.sender) for d in session.exec(select(Delivery))}


def test_a_second_process_leaves_the_live_senders_rows_alone(engine: Engine) -> None:
    """The defect: the second process's start-up made the first's in-flight rows unknown."""
    a, b, c, _d = published(engine)
    assert take(engine, A)
    with session_scope(engine) as session:
        assert outbox.mark_sending(session, delivery_id=a, sender=A)
        assert outbox.mark_sending(session, delivery_id=b, sender=A)
    with session_scope(engine) as session:  # B starts while A sends: nothing of A's is touched
        assert outbox.resolve_interrupted(session) == 0
        assert not outbox.mark_sending(session, delivery_id=c, sender=B)  # B holds no lease
    assert statuses(engine)[a] == ("sending", A) and statuses(engine)[c] == ("pending", None)
    with session_scope(engine) as session:  # A's answers arrive and are recorded
        assert outbox.mark_sent(session, delivery_id=a, message_id=5, sender=A)
        assert outbox.mark_retry(session, delivery_id=b, error="500", sender=A)
    assert statuses(engine)[a] == ("sent", A) and statuses(engine)[b] == ("pending", A)


def test_a_dead_senders_rows_are_resolved_once_its_lease_expired(engine: Engine) -> None:
    a, b, c, _d = published(engine)
    assert take(engine, A, seconds=0.2)
    with session_scope(engine) as session:
        assert outbox.mark_sending(session, delivery_id=a, sender=A)
        assert outbox.mark_sending(session, delivery_id=b, sender=A)
    time.sleep(0.3)  # A was SIGKILLed: no renewal, the lease runs out
    with session_scope(engine) as session:  # a claim under an expired lease does nothing
        assert not outbox.mark_sending(session, delivery_id=c, sender=A)
    assert take(engine, B)
    with session_scope(engine) as session:
        assert outbox.resolve_interrupted(session) == 2
        assert outbox.mark_sending(session, delivery_id=c, sender=B)
        assert outbox.resolve_interrupted(session) == 0  # B's own claim is live
    rows = statuses(engine)
    assert rows[a] == ("unknown", A) and rows[b] == ("unknown", A) and rows[c] == ("sending", B)
    with Session(engine) as session:
        row = session.get(Delivery, a)
        assert row is not None and row.last_error == outbox.INTERRUPTED


def test_a_frozen_senders_late_answer_is_recorded_on_its_own_row_only(engine: Engine) -> None:
    a, b, c, _d = published(engine)
    assert take(engine, A, seconds=0.2)
    with session_scope(engine) as session:
        assert outbox.mark_sending(session, delivery_id=a, sender=A)
        assert outbox.mark_sending(session, delivery_id=b, sender=A)
    time.sleep(0.3)  # A froze past its expiry; B took over and resolved A's claims
    assert take(engine, B)
    with session_scope(engine) as session:
        assert outbox.resolve_interrupted(session) == 2
        assert outbox.mark_sending(session, delivery_id=c, sender=B)
    with session_scope(engine) as session:  # A wakes up: its answers say what happened
        assert outbox.mark_sent(session, delivery_id=a, message_id=7, sender=A)
        assert not outbox.mark_sent(session, delivery_id=c, message_id=8, sender=A)  # B's
        assert not outbox.mark_sent(session, delivery_id=b, message_id=9, sender=B)  # A's
    rows = statuses(engine)
    assert rows[a] == ("sent", A) and rows[b] == ("unknown", A) and rows[c] == ("sending", B)


def test_rows_claimed_before_the_upgrade_are_resolved(db_engine: Engine) -> None:
    a, *_ = published(db_engine)
    with session_scope(db_engine) as session:  # an older version recorded no sender
        assert outbox.mark_sending(session, delivery_id=a)
    assert take(db_engine, B)
    with session_scope(db_engine) as session:
        assert outbox.resolve_interrupted(session) == 1


def test_the_lease_row_survives_a_second_migration(engine: Engine) -> None:
    assert take(engine, A)
    again = open_database(engine.url.render_as_string(hide_password=False))
    assert info(again).holder == A  # a second process's start-up keeps the holder
    again.dispose()
