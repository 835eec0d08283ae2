"""Two pollers, one token (issue 11, item 12): the fake Bot API answers 409 Conflict as Telegram
does, python-telegram-bot sees it as Conflict, and `tuijie run`'s ConflictWatch decides who
leaves: the instance that came second, once the conflict has lasted its grace period."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from fakebotapi import CONFLICT, FakeBotAPI
from telegram import Bot
from telegram.error import Conflict, NetworkError

from bot.cli.poll_conflict import STREAK_GAP, ConflictWatch


async def _poll(http: aiohttp.ClientSession, server: FakeBotAPI, timeout: int) -> Any:
    url = f"{server.base_url}{server.token}/getUpdates"
    async with http.post(url, json={"timeout": timeout}) as response:
        return response.status, await response.json()


async def test_a_second_getupdates_ends_the_waiting_one_with_409() -> None:
    async with FakeBotAPI() as server, aiohttp.ClientSession() as http:
        server.user(5)
        first = asyncio.create_task(_poll(http, server, timeout=20))
        while server.get_updates_calls < 1:
            await asyncio.sleep(0.01)
        second = asyncio.create_task(_poll(http, server, timeout=20))
        status, body = await asyncio.wait_for(first, 10)  # ended at once, not after 20 s
        assert status == 409
        assert body == {"ok": False, "error_code": 409, "description": CONFLICT}
        await server.send_text(5, "光伏")  # the poll that ended the first one gets the update
        status, body = await asyncio.wait_for(second, 10)
        assert status == 200 and [u["message"]["text"] for u in body["result"]] == ["光伏"]
        assert server.conflicts == 1


async def test_one_poller_polling_again_and_again_never_conflicts() -> None:
    async with FakeBotAPI() as server, aiohttp.ClientSession() as http:
        for _ in range(5):
            status, body = await _poll(http, server, timeout=0)
            assert status == 200 and body == {"ok": True, "result": []}
        assert server.conflicts == 0


async def test_python_telegram_bot_reads_it_as_conflict() -> None:
    async with FakeBotAPI() as server:
        one, two = (Bot(server.token, base_url=server.base_url) for _ in range(2))
        await one.initialize()
        await two.initialize()
        try:
            waiting = asyncio.create_task(one.get_updates(timeout=20, read_timeout=30))
            while server.get_updates_calls < 1:
                await asyncio.sleep(0.01)
            other = asyncio.create_task(two.get_updates(timeout=1, read_timeout=30))
            with pytest.raises(Conflict, match="only one bot instance is running"):
                await asyncio.wait_for(waiting, 10)
            assert await other == ()
        finally:
            await one.shutdown()
            await two.shutdown()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watch(grace: float, *, polled_before: bool) -> tuple[ConflictWatch, Clock, list[str]]:
    clock, stops = Clock(), []
    conflict_watch = ConflictWatch(grace=grace, stop=lambda: stops.append("stop"), clock=clock)
    if polled_before:
        conflict_watch.polled(200)
    return conflict_watch, clock, stops


CONFLICT_ERROR = Conflict(CONFLICT)


def test_the_instance_that_came_second_leaves_once_the_conflict_lasted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.cli.poll_conflict")
    conflicts, clock, stops = watch(grace=30, polled_before=False)
    for step in (1, 1, 1.5, 2.25, 3.4, 5, 7.6):  # python-telegram-bot's backoff: 20.75 s
        clock.now += step
        conflicts.on_error(CONFLICT_ERROR)
    assert stops == [] and not conflicts.gave_up  # an overlapping restart would end by now
    clock.now += 11.4
    conflicts.on_error(CONFLICT_ERROR)
    assert stops == ["stop"] and conflicts.gave_up
    assert "32 s" in conflicts.sentence and "another instance" in conflicts.sentence
    clock.now += 1
    conflicts.on_error(CONFLICT_ERROR)
    assert stops == ["stop"]  # asked once
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "409 Conflict" in warnings[0].getMessage()


def test_the_instance_that_ran_first_stays_and_says_so_once_per_streak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.cli.poll_conflict")
    conflicts, clock, stops = watch(grace=30, polled_before=True)  # then another one starts
    for _ in range(50):
        clock.now += 20
        conflicts.on_error(CONFLICT_ERROR)
    clock.now += STREAK_GAP + 1  # quiet: the other one left; later another mistake
    conflicts.on_error(CONFLICT_ERROR)
    assert stops == [] and not conflicts.gave_up
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2


def test_an_overlapping_restart_goes_through() -> None:
    conflicts, clock, stops = watch(grace=30, polled_before=False)
    for _ in range(5):  # the old process stops polling within a few seconds
        clock.now += 2
        conflicts.on_error(CONFLICT_ERROR)
    conflicts.polled(200)  # then this one polls alone
    clock.now += 3600
    conflicts.on_error(CONFLICT_ERROR)  # a later mistake: this one is now the first
    clock.now += 60
    conflicts.on_error(CONFLICT_ERROR)
    assert stops == [] and not conflicts.gave_up


def test_grace_zero_leaves_at_the_first_conflict_and_other_errors_do_not_count() -> None:
    conflicts, clock, stops = watch(grace=0, polled_before=False)
    clock.now += 2
    conflicts.polled(409)
    conflicts.on_error(NetworkError("Bad Gateway"))
    assert stops == []
    conflicts.on_error(CONFLICT_ERROR)
    assert stops == ["stop"]
