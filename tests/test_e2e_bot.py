"""End to end: `tuijie run` as a separate process, long polling the fake Bot API over real HTTP,
while this test plays an investor and an admin. Also `tuijie run` without a token and
`tuijie chat` with piped input."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI

from bot.local.api import Call, parse_html
from bot.views.links import start_param
from catalog.demo import DEMO_CATALOG
from catalog.models import ProjectPublic

pytestmark = pytest.mark.e2e

TOKEN = "123:fake-token"
TUIJIE = str(Path(sys.executable).with_name("tuijie"))
INVESTOR = 5551
ADMIN = 5559


def clean_env(**values: str) -> dict[str, str]:
    """The environment without any Tuijie/Telegram settings of the developer, plus `values`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TUIJIE_", "TELEGRAM_"))}  # fmt: skip
    env.update(values)
    return env


class BotProcess:
    """`tuijie run` in a subprocess, its output collected."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.output = bytearray()
        self._readers = [asyncio.create_task(self._drain(s)) for s in (proc.stdout, proc.stderr)]

    @classmethod
    async def start(cls, cwd: Path, env: dict[str, str]) -> BotProcess:
        """`tuijie run` in `cwd` with exactly this environment."""
        proc = await asyncio.create_subprocess_exec(
            TUIJIE,
            "run",
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def _drain(self, stream: asyncio.StreamReader | None) -> None:
        assert stream is not None
        while chunk := await stream.read(4096):
            self.output += chunk

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await asyncio.gather(*self._readers)
        return int(self.proc.returncode or 0)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as fake:
        # no language_code, as many Telegram clients send: the words decide (issue 12, item 1)
        fake.user(INVESTOR, first_name="Eve", username="eve_investor", language_code=None)
        fake.user(ADMIN, first_name="Admin", language_code="zh")
        yield fake


def demo_projects() -> list[ProjectPublic]:
    rows = [json.loads(line) for line in DEMO_CATALOG.read_text(encoding="utf-8").splitlines()]
    now = datetime.now(UTC)
    return [
        ProjectPublic(**row, id=n, created_at=now, updated_at=now)
        for n, row in enumerate(rows, start=1)
        if row.get("status", "published") == "published"
    ]


async def test_investor_journey_against_the_running_bot(server: FakeBotAPI, tmp_path: Path) -> None:
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TUIJIE_TELEGRAM_API_URL=server.base_url,
        TUIJIE_DATA_DIR=str(tmp_path / "data"),
        TUIJIE_ADMIN_IDS=str(ADMIN),
    )
    bot = await BotProcess.start(tmp_path, env)
    try:
        await server.wait_for("setMyCommands", count=2, timeout=180)
        while server.get_updates_calls == 0:
            await asyncio.sleep(0.05)
        published = demo_projects()

        # the investor types each message as soon as the previous answer is there, without
        # pacing for the flood limit: a patient user is never held back (issue 12, item 8)
        async def say(text: str) -> Call:
            since = server.mark()
            await server.send_text(INVESTOR, text)
            answer = await server.wait_for("sendMessage", chat_id=INVESTOR, since=since)
            return answer

        async def press(message: Call, data: str, method: str = "sendMessage") -> Call:
            since = server.mark()
            await server.press(INVESTOR, message.result["message_id"], data)
            return await server.wait_for(method, chat_id=INVESTOR, since=since)

        welcome = await say("/start")
        assert f"holds {len(published)} projects" in parse_html(welcome.text or "")

        # search, page by editing, details
        results = await say("太原")  # a Chinese question gets a Chinese answer
        assert "1. " in (results.text or "") and "5. " in (results.text or "")
        assert "的结果" in (results.text or "") and "Results" not in (results.text or "")
        page2 = await press(results, results.button("更多")["callback_data"], "editMessageText")
        assert page2.params["message_id"] == results.result["message_id"]
        assert "6. " in (page2.text or "")
        first_id = results.buttons[0]["callback_data"].removeprefix("d:")
        details = await press(results, f"d:{first_id}")
        assert "Contact" in (details.text or "")

        # direct answer about one project
        answer = await say("山西贝尔油库扩建项目需要多少民间资本?")
        assert "3.2亿元" in parse_html(answer.text or "") or "320 million" in (answer.text or "")

        # profile, then matches with reasons
        since = server.mark()
        await server.send_text(INVESTOR, "/profile")
        question = await server.wait_for("sendMessage", chat_id=INVESTOR, since=since, count=2)
        step = await press(question, question.button("New energy")["callback_data"],
                           "editMessageReplyMarkup")  # fmt: skip
        step = await press(question, "p:ok", "editMessageText")
        step = await press(question, step.button("Shanxi")["callback_data"],
                           "editMessageReplyMarkup")  # fmt: skip
        await press(question, "p:ok", "editMessageText")
        cooperation = await say("1亿-200亿")
        step = await press(cooperation, "p:skip", "editMessageText")
        saved = await press(cooperation, "p:skip", "editMessageText")
        assert "Profile saved" in (saved.text or "")
        matches = await say("/match")
        assert "✓ sector: New energy · region: Shanxi" in parse_html(matches.text or "")

        # interest with consent: the admin is told at once, with the contact
        interest_id = matches.buttons[1]["callback_data"]
        consent = await press(matches, interest_id)
        await press(consent, f"{interest_id}:y", "editMessageText")
        since = server.mark()
        await server.send_text(INVESTOR, "Can invest this quarter")
        told = await server.wait_for("sendMessage", chat_id=ADMIN, since=since)
        assert "@eve_investor" in parse_html(told.text or "")
        assert "Can invest this quarter" in parse_html(told.text or "")
        await server.wait_for("sendMessage", chat_id=INVESTOR, since=since)  # "passed on"

        # deep link and inline mode
        target = next(p for p in published if p.code == "TY2024-03")
        linked = await say(f"/start {start_param(target)}")
        assert target.name_en and target.name_en in parse_html(linked.text or "")
        since = server.mark()
        await server.inline(INVESTOR, "")
        inline = await server.wait_for("answerInlineQuery", since=since)
        assert len(inline.params["results"]) == 10 and inline.params["next_offset"] == "10"
        since = server.mark()
        await server.inline(INVESTOR, "", "10")
        rest = await server.wait_for("answerInlineQuery", since=since)
        assert len(rest.params["results"]) == len(published) - 10
        assert not rest.params.get("next_offset")

        # forget
        confirm = await say("/forget")
        gone = await press(confirm, "f:yes", "editMessageText")
        assert "deleted" in (gone.text or "")
        assert not [c for c in server.calls if c.error and c.method != "getUpdates"]
    finally:
        code = await bot.stop()
    output = bytes(bot.output).decode(errors="replace")
    assert TOKEN not in output and "fake-token" not in output
    assert code == 0, output[-3000:]


async def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        TUIJIE, "run", cwd=tmp_path, env=clean_env(TUIJIE_DATA_DIR=str(tmp_path / "d")),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    text = err.decode()
    assert "@BotFather" in text and "TELEGRAM_BOT_TOKEN" in text and ".env" in text
    assert not (tmp_path / "d").exists(), "nothing is started without a token"


async def test_chat_in_the_terminal_with_piped_input(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        TUIJIE, "chat", cwd=tmp_path, env=clean_env(TUIJIE_DATA_DIR=str(tmp_path / "d")),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lines = "/help\n太原\n1\n"
    out, err = await asyncio.wait_for(proc.communicate(lines.encode()), 240)
    text = out.decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "What I can do" in text
    assert "[1] 1 · 详情" in text and "[2] ♥ 感兴趣" in text  # 太原 is answered in Chinese
    assert "Contact:" in text  # pressing [1] opened the first project's details
