"""Leases: a role only one process may hold at a time (the outbox sender), kept by renewing it.

A lease is one row of the ``lease`` table: its name, the holder's id and when it expires.
Every verb is a single compare-and-set UPDATE, so two processes racing for a lease cannot both
win, on SQLite (writes are serialised) as on PostgreSQL (the row is locked by the UPDATE and the
condition re-checked). Expiry is judged by the DATABASE's clock (``db_epoch()``), never the
caller's, so processes on different hosts (webhook replicas behind one load balancer, an
overlapping restart on a new machine) need not agree on the time.

Other statements can be fenced with ``held(name, holder)``: a claim made under a lease that has
meanwhile expired (a process frozen past its expiry) does nothing, whatever the caller believes.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Select, case, exists, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from catalog.errors import CatalogError
from catalog.models import Lease

OUTBOX = "outbox"  # the outbox sender's lease (catalog/outbox.py, bot/delivery/broadcast.py)
MAX_HOLDER = 128


class db_epoch(FunctionElement[float]):  # lower case: a SQL function, named like one
    """Now, in seconds since the epoch, by the database server's clock."""

    type = Float()
    inherit_cache = True
    name = "db_epoch"


@compiles(db_epoch, "sqlite")
def _sqlite_epoch(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"  # millisecond resolution


@compiles(db_epoch, "postgresql")
def _postgres_epoch(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_epoch)
def _other_epoch(_element: Any, _compiler: Any, **_kw: Any) -> str:
    raise CatalogError("leases need SQLite or PostgreSQL (no database clock for this dialect)")


class BadLease(CatalogError):
    """A lease asked for with an unusable holder id or duration."""


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds a lease now, and for how many more seconds (negative: expired)."""

    name: str
    holder: str | None
    seconds_left: float

    @property
    def live(self) -> bool:
        return self.holder is not None and self.seconds_left > 0


def new_holder_id() -> str:
    """An id for this process that no other process (here or on another host) will use."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def _check(holder: str, seconds: float | None = None) -> None:
    if not holder or len(holder) > MAX_HOLDER:
        raise BadLease(f"a lease holder id must have 1 to {MAX_HOLDER} characters")
    if seconds is not None and not seconds > 0:
        raise BadLease(f"a lease must last a positive number of seconds, not {seconds!r}")


def _ensure(session: Session, name: str) -> None:
    """The migration creates the outbox's row; another lease's row is created on first use."""
    if session.get(Lease, name) is None:
        session.add(Lease(name=name))
        session.flush()


def acquire(session: Session, *, name: str, holder: str, seconds: float) -> bool:
    """Take the lease if it is free, expired or already ours (then renew it); True if held."""
    _check(holder, seconds)
    _ensure(session, name)
    now = db_epoch()
    result = session.execute(
        update(Lease)
        .where(
            col(Lease.name) == name,
            or_(
                col(Lease.holder).is_(None),
                col(Lease.holder) == holder,
                col(Lease.expires_at) <= now,
            ),
        )
        .values(
            acquired_at=case((col(Lease.holder) == holder, col(Lease.acquired_at)), else_=now),
            holder=holder,
            expires_at=now + seconds,
        )
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def renew(session: Session, *, name: str, holder: str, seconds: float) -> bool:
    """Extend our lease; False if another process has taken it (we must stop acting on it).

    A lease that expired but that nobody took is still ours: nobody can have acted on its
    expiry, because taking the lease is what allows that.
    """
    _check(holder, seconds)
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=db_epoch() + seconds)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def release(session: Session, *, name: str, holder: str) -> bool:
    """Give the lease up now (a clean stop), so another process need not wait for its expiry."""
    _check(holder)
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(holder=None, expires_at=db_epoch())
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def current(session: Session, *, name: str) -> LeaseInfo:
    """Who holds the lease and for how long still, by the database's clock."""
    row = session.exec(
        select(Lease.holder, col(Lease.expires_at) - db_epoch()).where(Lease.name == name)
    ).first()
    if row is None:
        return LeaseInfo(name, None, 0.0)
    holder, left = row
    return LeaseInfo(name, holder, float(left))


def held(name: str, holder: str) -> ColumnElement[bool]:
    """A condition for other statements: `holder` holds the lease right now (not expired)."""
    return exists().where(
        col(Lease.name) == name, col(Lease.holder) == holder, col(Lease.expires_at) > db_epoch()
    )


def live_holders(name: str) -> Select[str | None]:
    """The holder of the lease if it has not expired (a subquery: zero or one id)."""
    return sa_select(col(Lease.holder)).where(
        col(Lease.name) == name, col(Lease.holder).is_not(None), col(Lease.expires_at) > db_epoch()
    )
