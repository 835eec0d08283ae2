"""End to end, two `tuijie run` on one database and one token (issue 11, item 12).

1. A second `tuijie run` by mistake: Telegram (the fake) answers 409 Conflict; the newcomer
   says another instance is running and exits with status 4; the first keeps serving and
   keeps the outbox.
2. A 200-subscriber broadcast while two processes run (an overlapping restart): only the lease
   holder sends; timeouts are injected (delivered, answered too late); the sender is SIGKILLed
   with a digest in flight and the other process takes over when the lease expires. Every
   active subscriber ends with exactly one digest, except the timed-out and the interrupted
   ones, which are counted uncertain, delivered once, and resent only on the admin's order.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_broadcast_e2e import BATCH, FIRST_CHAT, N, in_flight_reached_server, seed

from bot.cli.poll_conflict import EXIT_CONFLICT
from bot.local.api import Fault
from catalog import lease, outbox
from catalog.models import Delivery, Subscription

pytestmark = pytest.mark.e2e

ADMIN = 990_002
BIN = Path(sys.executable).with_name("tuijie")
# delivered, answered after the bot's 5 s read timeout: one by each process
TIMED_OUT = {FIRST_CHAT + 5, FIRST_CHAT + 185}
FLAKY = FIRST_CHAT + 75  # two 500s: retried, by whichever process holds the outbox then
BLOCKED = FIRST_CHAT + 160
KILL_AT = 140  # digests received by the server before the sender is SIGKILLed
LEASE = "4"  # TUIJIE_SENDER_LEASE_SECONDS: the takeover comes this long after the kill


class Proc:
    """`tuijie run` in a subprocess; stdout and stderr each to a file."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.out, self.err = logs / f"{name}.out", logs / f"{name}.err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([str(BIN), "run"], env=env, stdout=out, stderr=err)

    def text(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    async def wait_for_log(self, words: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.text():
            assert self.proc.poll() is None, f"exited {self.proc.returncode}:\n{self.text()}"
            assert time.monotonic() < deadline, f"no {words!r} in:\n{self.text()[-4000:]}"
            await asyncio.sleep(0.1)

    async def wait_exit(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    async def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            await self.wait_exit(30)


def environment(server: FakeBotAPI, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUIJIE_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TUIJIE_TELEGRAM_API_URL=server.base_url,
        TUIJIE_DATA_DIR=str(data),
        TUIJIE_ADMIN_IDS=str(ADMIN),
        TUIJIE_SENDER_LEASE_SECONDS=LEASE,
        **extra,
    )
    return env


def holder(engine: Engine) -> lease.LeaseInfo:
    with Session(engine) as session:
        return lease.current(session, name=lease.OUTBOX)


SERVING = "this process sends the outbox"
STANDING_BY = "takes over when that lease ends"


async def test_a_second_run_by_mistake_says_so_and_exits_while_the_first_serves(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    engine = seed(data)
    async with FakeBotAPI() as server:
        server.user(42, language_code="en")
        first = Proc("first", environment(server, data), tmp_path)
        second = None
        try:
            await first.wait_for_log(SERVING)
            assert str(first.proc.pid) in (holder(engine).holder or "")
            second = Proc(
                "second", environment(server, data, TUIJIE_POLL_CONFLICT_SECONDS="3"), tmp_path
            )
            assert await second.wait_exit(timeout=240) == EXIT_CONFLICT
            since = server.mark()  # the first instance still answers, alone again
            await server.send_text(42, "/help")
            await server.wait_for("sendMessage", chat_id=42, since=since, timeout=30)
            assert first.proc.poll() is None
            assert str(first.proc.pid) in (holder(engine).holder or "")  # it kept the outbox
        finally:
            await first.stop()
            if second is not None:
                await second.stop()
    said = second.err.read_text().strip().splitlines()
    assert "another instance of this bot is already running" in said[-1], said[-3:]
    assert STANDING_BY in second.text()  # it never sent: the first held the outbox
    for proc in (first, second):
        assert "Traceback" not in proc.text() and server.token not in proc.text()
    assert first.text().count("Telegram answered 409 Conflict") == 1  # said once, not per retry
    assert server.conflicts >= 2
    engine.dispose()


async def test_two_processes_during_a_broadcast_with_timeouts_and_a_sigkill(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    engine = seed(data)
    chats = [FIRST_CHAT + i for i in range(N)]
    async with FakeBotAPI() as server:
        for chat in [*chats, ADMIN]:
            server.user(chat, language_code="en")
        received: set[int] = set()  # subscriber chats whose digest request reached the server
        procs: dict[str, Proc] = {}
        killed: list[float] = []
        touched_before_kill: list[int] = []
        senders: dict[str, str | None] = {}

        def observe(chat: int | None) -> bool:
            """SIGKILL the sender once KILL_AT digests arrived and a request is in flight."""
            if chat is None or chat == ADMIN or chat in TIMED_OUT | {FLAKY, BLOCKED}:
                return False
            received.add(chat)
            if (
                not killed
                and len(received) >= KILL_AT
                and in_flight_reached_server(engine, received)
            ):
                with Session(engine) as session:  # what the standby process did meanwhile
                    rows = session.exec(select(Delivery).where(Delivery.status == "unknown"))
                    touched_before_kill.extend(
                        d.id or 0 for d in rows if d.last_error == outbox.INTERRUPTED
                    )
                killed.append(time.time())
                os.kill(procs["first"].proc.pid, signal.SIGKILL)  # its answer never arrives
            return False

        server.add_fault(Fault("sendMessage", 0, count=10**9, chat=observe))
        server.add_fault(Fault("sendMessage", 500, count=2, chat=lambda c: c == FLAKY))
        server.add_fault(Fault("sendMessage", 403, chat=lambda c: c == BLOCKED))
        server.answer_late("sendMessage", 8.0, chat=lambda c: c in TIMED_OUT, count=2)
        try:
            procs["first"] = Proc("first", environment(server, data), tmp_path)
            await procs["first"].wait_for_log(SERVING)
            senders["first"] = holder(engine).holder
            long_grace = {"TUIJIE_POLL_CONFLICT_SECONDS": "600"}  # it stays, polling in turns
            procs["second"] = Proc("second", environment(server, data, **long_grace), tmp_path)
            await procs["second"].wait_for_log(STANDING_BY)
            published = server.mark()
            await server.send_text(ADMIN, f"/publish {BATCH}")  # either process may get it
            await server.wait_for("sendMessage", chat_id=ADMIN, since=published, timeout=60)
            assert await procs["first"].wait_exit(timeout=120) == -signal.SIGKILL
            await procs["second"].wait_for_log(SERVING, timeout=60)  # once the lease expired
            senders["second"] = holder(engine).holder
            progress = await wait_done(engine)
            final = await server.wait_for(  # whichever process reports, the admin sees the end
                "editMessageText",
                chat_id=ADMIN,
                since=published,
                where=lambda c: (c.text or "").startswith("✅"),
                timeout=30,
            )
            before_order = digests(server)
            unknown_rows = rows_in(engine, "unknown")
            since = server.mark()
            await server.send_text(ADMIN, f"/publish {BATCH} resend-uncertain")
            reply = await server.wait_for("sendMessage", chat_id=ADMIN, since=since, timeout=60)
            after = await wait_done(engine)
        except BaseException:
            for name, proc in procs.items():
                print(f"===== {name}\n{proc.text()[-5000:]}")
            raise
        finally:
            for proc in procs.values():
                await proc.stop()
        after_order = digests(server)

    with Session(engine) as session:
        rows = {d.chat_id: d for d in session.exec(select(Delivery))}
        subs = {s.chat_id: s for s in session.exec(select(Subscription))}
    active = [c for c in chats if subs[c].active]
    print(f"\nstatuses before the order {progress.counts}, after {after.counts}")

    assert len(killed) == 1 and touched_before_kill == []  # the standby left the rows alone
    assert len(active) == N - 1 and not subs[BLOCKED].active and before_order[BLOCKED] == 0
    interrupted = {d.chat_id for d in unknown_rows if d.last_error == outbox.INTERRUPTED}
    timed_out = {d.chat_id for d in unknown_rows if "may have been" in (d.last_error or "")}
    assert timed_out == TIMED_OUT and len(interrupted) >= 1
    assert {d.chat_id for d in unknown_rows} == timed_out | interrupted
    assert all(d.sender == senders["first"] for d in unknown_rows if d.chat_id in interrupted)
    # before the admin's order: every active subscriber has exactly one digest, the uncertain
    # ones included (they were delivered once and not resent)
    assert {c: before_order[c] for c in active if before_order[c] != 1} == {}
    assert progress.of(outbox.SENT) + progress.of(outbox.UNKNOWN) == N - 1
    assert progress.of(outbox.UNKNOWN) == len(timed_out | interrupted)
    # the first process sent until it was killed; the other one only after the takeover
    first_rows = [r for r in rows.values() if r.sender == senders["first"]]
    second_rows = [r for r in rows.values() if r.sender == senders["second"]]
    assert len(first_rows) + len(second_rows) == N  # every row was claimed by one of them
    assert first_rows and second_rows
    assert all(r.sent_at.timestamp() < killed[0] for r in first_rows if r.sent_at)
    assert all(r.sent_at.timestamp() > killed[0] for r in second_rows if r.sent_at)
    assert rows[FLAKY].status == "sent" and rows[FLAKY].attempts >= 3
    # the admin's order resends exactly the uncertain ones, once each
    assert f"{len(unknown_rows)} uncertain digest(s) queued" in (reply.text or "")
    assert after.of(outbox.UNKNOWN) == 0 and after.of(outbox.SENT) == N - 1
    resent = {c for c in active if after_order[c] == 2}
    assert resent == timed_out | interrupted
    assert {c: after_order[c] for c in active if c not in resent and after_order[c] != 1} == {}
    uncertain = len(unknown_rows)
    assert f"{uncertain} uncertain" in (final.text or "") or f"{uncertain} 条不确定" in (
        final.text or ""
    )
    engine.dispose()


def digests(server: FakeBotAPI) -> dict[int, int]:
    """Digests that reached the server (delivered), per subscriber chat."""
    counts: dict[int, int] = defaultdict(int)
    for call in server.find("sendMessage"):
        if call.chat_id is not None and call.chat_id != ADMIN:
            counts[call.chat_id] += 1
    return counts


def rows_in(engine: Engine, status: str) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.status == status)))


async def wait_done(engine: Engine, timeout: float = 180.0) -> outbox.Progress:
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            progress = outbox.progress(session, batch_code=BATCH)
        if progress.done and progress.of(outbox.SENDING) == 0:
            return progress
        assert time.monotonic() < deadline, progress.counts
        await asyncio.sleep(0.25)
