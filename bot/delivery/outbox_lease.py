"""This process's hold on the outbox lease (catalog/lease.py): take it, renew it, give it up.

Only the holder sends digests. A process that does not hold it keeps answering users and tries
again every `every` seconds, so it takes over when the holder stops (released at once) or dies
(its lease expires after `seconds`). A holder that cannot renew (another process took the lease,
or the database did not answer for a whole lease period) stops sending; its claims are fenced
in the database anyway (catalog.outbox.mark_sending), so a frozen holder cannot claim late.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from catalog import lease
from catalog.db import session_scope

_log = logging.getLogger(__name__)


@dataclass
class LeaseKeeper:
    db: Engine
    seconds: float = 30.0  # how long the lease lasts without a renewal
    name: str = lease.OUTBOX
    holder: str = field(default_factory=lease.new_holder_id)
    held: bool = False
    _renewed_at: float = 0.0  # monotonic time of the last successful acquire or renewal

    @property
    def every(self) -> float:
        """How often the holder renews and a standby process tries to take over."""
        return max(0.05, self.seconds / 5)

    def _call(self, verb: Callable[..., bool], **kwargs: object) -> bool:
        with session_scope(self.db) as session:
            return verb(session, name=self.name, holder=self.holder, **kwargs)

    async def acquire(self) -> bool:
        """Take the lease if it is free, expired or ours; True if this process holds it now."""
        try:
            got = await asyncio.to_thread(self._call, lease.acquire, seconds=self.seconds)
        except SQLAlchemyError as exc:  # a busy or unreachable database: try again later
            _log.warning("could not take the outbox lease: %s", exc.__class__.__name__)
            got = False
        if got:
            self._renewed_at = time.monotonic()
        self.held = got
        return got

    async def keep(self, lost: Callable[[], None]) -> None:
        """Renew every `every` seconds until cancelled; call `lost()` once the lease is gone."""
        while True:
            await asyncio.sleep(self.every)
            ok: bool | None
            try:
                ok = await asyncio.to_thread(self._call, lease.renew, seconds=self.seconds)
            except SQLAlchemyError as exc:
                _log.warning("could not renew the outbox lease: %s", exc.__class__.__name__)
                ok = None
            if ok:
                self._renewed_at = time.monotonic()
                continue
            if ok is False or time.monotonic() - self._renewed_at >= self.seconds:
                self.held = False
                lost()
                return

    async def release(self) -> None:
        """Give the lease up (a clean stop), so a standby process takes over at once."""
        if not self.held:
            return
        self.held = False
        try:
            await asyncio.to_thread(self._call, lease.release)
        except SQLAlchemyError as exc:  # it will expire on its own
            _log.warning("could not release the outbox lease: %s", exc.__class__.__name__)

    def current(self) -> lease.LeaseInfo:
        """Who holds the lease now (blocking)."""
        with Session(self.db) as session:
            return lease.current(session, name=self.name)
