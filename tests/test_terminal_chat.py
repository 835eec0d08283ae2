"""`tuijie chat` as a user runs it (issue 12, items 3 and 10): `--lang` answers in the language
chosen, files the bot sends are saved and their path printed, and `/import PATH` sends a file
for import through the same dry run and Apply button as a Telegram document."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from bot.local.api import parse_html
from bot.views.i18n import t, to_traditional

pytestmark = pytest.mark.e2e

TUIJIE = str(Path(sys.executable).with_name("tuijie"))


def clean_env(**values: str) -> dict[str, str]:
    """The environment without the developer's Tuijie/Telegram settings or locale, plus `values`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TUIJIE_", "TELEGRAM_", "LC_")) and k != "LANG"
    }
    env.update(values)
    return env


async def chat(cwd: Path, lines: list[str], *args: str, **env: str) -> str:
    """Run `tuijie chat ARGS` in `cwd` with `lines` typed; its output (exit status 0)."""
    proc = await asyncio.create_subprocess_exec(
        TUIJIE,
        "chat",
        *args,
        cwd=cwd,
        env=clean_env(TUIJIE_DATA_DIR=str(cwd / "data"), **env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    typed = "".join(f"{line}\n" for line in lines).encode()
    out, err = await asyncio.wait_for(proc.communicate(typed), 300)
    assert proc.returncode == 0, err.decode()[-2000:]
    return out.decode()


async def test_chat_lang_answers_in_the_language_chosen(tmp_path: Path) -> None:
    text = await chat(tmp_path, ["/help", "semiconductor"], "--lang", "zh-hant")
    assert parse_html(t("zh-hant", "help.text", bot="x")).splitlines()[0] in text  # 我能做什麼
    assert to_traditional("的结果") in text  # an English query, answered in 繁體 as chosen
    assert "Results for" not in text


async def test_chat_saves_the_files_the_bot_sends_and_imports_a_path(tmp_path: Path) -> None:
    new = {"code": "T-NEW-1", "name": "终端导入测试项目", "batch": "2025-1", "summary": "测试"}
    (tmp_path / "new.jsonl").write_text(json.dumps(new, ensure_ascii=False) + "\n")
    lines = ["/export", "/import missing.csv", "/import new.jsonl", "1", "终端导入测试项目"]
    text = await chat(tmp_path, lines, TUIJIE_ADMIN_IDS="1")  # the terminal user is user 1
    saved = sorted((tmp_path / "tuijie-files").glob("tuijie-catalog-*.jsonl"))
    assert len(saved) == 1
    assert f"saved to tuijie-files/{saved[0].name}" in text
    codes = [json.loads(line)["code"] for line in saved[0].read_text().splitlines()]
    assert len(codes) >= 10 and "T-NEW-1" not in codes  # the demo catalog, before the import
    assert "no such file: missing.csv; nothing was sent" in text
    assert "new.jsonl" in text and "T-NEW-1" in text  # the dry run names the new code
    assert "Apply" in text  # its button, pressed with "1"
    assert "1 new, 0 updated" in text  # applied
    assert text.count("终端导入测试项目") >= 2  # found by a search afterwards
