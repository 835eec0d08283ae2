"""`tuijie run` when Telegram cannot be reached or refuses the token: one clear sentence, a
non-zero exit, and the token in none of its output (issue 11, item 16)."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI

pytestmark = pytest.mark.e2e

TUIJIE = str(Path(sys.executable).with_name("tuijie"))
SERVER_TOKEN = "123:fake-token"
SECRET = "987654321:AAHsecretTokenThatMustNeverBePrinted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run(api_url: str, tmp_path: Path, token: str = SECRET) -> tuple[int, str, str]:
    from test_e2e_bot import clean_env

    env = clean_env(
        TELEGRAM_BOT_TOKEN=token,
        TUIJIE_TELEGRAM_API_URL=api_url,
        TUIJIE_DATA_DIR=str(tmp_path / "data"),
    )
    proc = await asyncio.create_subprocess_exec(
        TUIJIE,
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 240)
    return int(proc.returncode or 0), out.decode(), err.decode()


def _check(code: int, out: str, err: str, tmp_path: Path, *words: str) -> None:
    assert code != 0
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3, err
    for text in [out, err] + [p.read_text(errors="replace") for p in tmp_path.rglob("*.log")]:
        assert SECRET not in text and SECRET.split(":")[1] not in text
    last = err.strip().splitlines()[-1]
    assert all(word in last for word in words), last


async def test_a_rejected_token_ends_in_one_sentence(tmp_path: Path) -> None:
    async with FakeBotAPI(SERVER_TOKEN) as server:  # answers 401 to any other token
        code, out, err = await _run(server.base_url, tmp_path)
    _check(code, out, err, tmp_path, "rejected", "TELEGRAM_BOT_TOKEN")


async def test_a_wrong_api_url_ends_in_one_sentence(tmp_path: Path) -> None:
    async with FakeBotAPI(SERVER_TOKEN) as server:
        wrong = server.base_url.removesuffix("/bot") + "/nothing-here/bot"  # 404 for every call
        code, out, err = await _run(wrong, tmp_path, token=SERVER_TOKEN)
    assert SERVER_TOKEN.split(":")[1] not in out + err
    _check(code, out, err, tmp_path, "TUIJIE_TELEGRAM_API_URL")


async def test_connection_refused_ends_in_one_sentence(tmp_path: Path) -> None:
    code, out, err = await _run(f"http://127.0.0.1:{_free_port()}/bot", tmp_path)
    _check(code, out, err, tmp_path, "cannot reach", "TUIJIE_TELEGRAM_API_URL")
