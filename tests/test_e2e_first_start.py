"""First start and first query (issue 9, item 6): the model loads at start-up, quietly; no
progress bar or "Loading weights" line reaches the chat, in the terminal or on Telegram."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from test_e2e_bot import BotProcess, clean_env

pytestmark = pytest.mark.e2e

TUIJIE = str(Path(sys.executable).with_name("tuijie"))
TOKEN = "123:fake-token"
USER = 5571
# what tqdm, transformers and sentence-transformers print while they work
PROGRESS = re.compile(r"Loading weights|it/s\]|s/it\]|\d+%\||Batches|█|\r")
MODELS = ["use-multilingual-v3", "packaged:all-MiniLM-L6-v2"]


@pytest.mark.parametrize("model", MODELS)
async def test_the_terminal_chat_shows_no_progress_on_first_start(
    tmp_path: Path, model: str
) -> None:
    env = clean_env(TUIJIE_DATA_DIR=str(tmp_path / "d"), TUIJIE_EMBEDDING_MODEL=model)
    proc = await asyncio.create_subprocess_exec(
        TUIJIE,
        "chat",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate("太原\n".encode()), 300)
    text, errors = out.decode(), err.decode()
    assert proc.returncode == 0, errors[-2000:]
    assert "[1] 1 · 详情" in text  # the first query (a fresh index: built on this start)
    assert not PROGRESS.search(text + errors), (text + errors)[-2000:]


async def test_the_bot_loads_its_model_before_the_first_message(tmp_path: Path) -> None:
    async with FakeBotAPI(TOKEN) as server:
        server.user(USER, first_name="Eve", language_code="zh")
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TUIJIE_TELEGRAM_API_URL=server.base_url,
            TUIJIE_DATA_DIR=str(tmp_path / "data"),
        )
        bot = await BotProcess.start(tmp_path, env)
        try:
            await server.wait_for("setMyCommands", count=2, timeout=300)
            while server.get_updates_calls == 0:
                await asyncio.sleep(0.05)
            # polling: start-up is over, and no message has arrived yet
            for _ in range(200):
                if b"embedding model use-multilingual-v3 loaded" in bot.output:
                    break
                await asyncio.sleep(0.05)  # (the pipe is read asynchronously)
            assert b"embedding model use-multilingual-v3 loaded" in bot.output, bot.output[-2000:]
            since = server.mark()
            await server.send_text(USER, "太原的项目")
            reply = await server.wait_for("sendMessage", chat_id=USER, since=since)
            assert "1. " in (reply.text or "")
            sent = [str(c.params.get("text", "")) for c in server.calls]  # every text it sent
            assert not any(PROGRESS.search(t) for t in sent), sent
        finally:
            code = await bot.stop()
        output = bytes(bot.output).decode(errors="replace")
        assert code == 0, output[-3000:]
        assert output.count("embedding model") == 1  # loaded once, at start-up
        assert not PROGRESS.search(output), output[-2000:]
