"""Import by document: .json and .xlsx uploads, the size limit while streaming, the uploader's
own Apply/Cancel (through the real Application and the in-memory Bot API)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID
from sheetmaker import office_workbook
from test_admin_handlers import catalog_snapshot, jsonl, project, seeded_services


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = seeded_services(tmp_path)
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en")
        harness.user(ADMIN_2, language_code="en")
        yield harness
    svc.db.dispose()


NEW = {"code": "UP-1", "name": "上传项目", "batch": "2024-1", "summary": "测试"}


def _pending(bot: BotHarness) -> list[Path]:
    return list((Path(bot.settings.data_dir) / "pending").glob("*"))


async def test_a_json_upload_is_dry_run_and_applied(bot: BotHarness) -> None:
    content = json.dumps([NEW], ensure_ascii=False).encode()
    calls = await bot.send_document(ADMIN_ID, "batch.json", content)
    report = calls.last("sendMessage")
    assert "new: 1 (UP-1)" in (report.text or ""), report.text
    calls = await bot.press(ADMIN_ID, report.buttons[0]["callback_data"])
    assert "Imported" in (calls.last("editMessageText").text or "")
    assert project(bot, "UP-1").name == "上传项目"
    assert not _pending(bot)


async def test_the_size_limit_holds_when_telegram_reports_no_size(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.handlers.admin import upload as admin_import

    monkeypatch.setattr(admin_import, "MAX_IMPORT_BYTES", 1000)
    before = catalog_snapshot(bot)
    content = jsonl(*({**NEW, "code": f"BIG-{i}"} for i in range(40)))
    assert len(content) > 1000
    calls = await bot.send_document(ADMIN_ID, "big.jsonl", content, size_known=False)
    assert "getFile" in calls.methods  # the size was only known while downloading
    assert "limit" in calls.texts()[-1]
    assert not _pending(bot) and catalog_snapshot(bot) == before


async def test_only_the_uploader_applies_or_cancels(bot: BotHarness) -> None:
    calls = await bot.send_document(ADMIN_ID, "c.jsonl", jsonl(NEW))
    report = calls.last("sendMessage")
    # the other admin presses with the same callback data (a shared group, or forged data)
    under = (await bot.send(ADMIN_2, "/import")).last("sendMessage").result["message_id"]
    for data in (report.buttons[0]["callback_data"], report.buttons[1]["callback_data"]):
        calls = await bot.process(bot.api.callback(ADMIN_2, under, data))
        answer = calls.last("answerCallbackQuery").params
        assert answer.get("show_alert") and "Only the admin who sent" in answer.get("text", "")
        assert "editMessageText" not in calls.methods
    assert len(_pending(bot)) == 2  # still pending: the file and its meta
    calls = await bot.press(ADMIN_ID, report.buttons[0]["callback_data"])
    assert "Imported" in (calls.last("editMessageText").text or "")


async def test_an_xlsx_list_with_the_batch_as_caption(bot: BotHarness, tmp_path: Path) -> None:
    path = office_workbook(tmp_path / "清单.xlsx", second_title=None)
    before = catalog_snapshot(bot)
    calls = await bot.send_document(ADMIN_ID, "清单.xlsx", path.read_bytes())
    text = calls.texts()[-1]
    assert "cannot be imported" in text and "第二批!row 1" in text and "batch" in text
    assert catalog_snapshot(bot) == before and not _pending(bot)
    calls = await bot.send_document(ADMIN_ID, "清单.xlsx", path.read_bytes(), caption="2025-2")
    report = calls.last("sendMessage")
    text = report.text or ""
    assert "How the sheet was read" in text and "investment_cny × 1亿" in text
    assert "not imported: 备注" in text and "new: 4" in text
    calls = await bot.press(ADMIN_ID, report.buttons[0]["callback_data"])
    assert "4 new" in (calls.last("editMessageText").text or "")


async def test_a_download_over_http_stops_at_the_limit(tmp_path: Path) -> None:
    """Over real HTTP (the fake Bot API): the limit is enforced while the bytes arrive, not
    after the whole file was fetched, also when getFile reports no size."""
    from fakebotapi import TOKEN, FakeBotAPI
    from telegram import Bot

    from bot.handlers.admin.downloads import CHUNK, TooBig, download_capped

    async with FakeBotAPI() as server:
        stored = server.api.store_file(b"x" * (5 * 1024 * 1024), file_name="big.jsonl")
        stored.size_known = False
        base = f"http://127.0.0.1:{server.port}"
        bot = Bot(TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
        async with bot:
            dest = tmp_path / "big.jsonl"
            with pytest.raises(TooBig) as caught:
                await download_capped(bot, stored.file_id, dest, 100_000)
            assert caught.value.size <= 100_000 + CHUNK  # stopped at the limit, not at 5 MB
            assert not dest.exists()
            small = server.api.store_file(b"{}\n", file_name="ok.jsonl")
            assert await download_capped(bot, small.file_id, dest, 100_000) == 3
            assert dest.read_bytes() == b"{}\n"


async def test_export_xlsx_sends_a_workbook_that_imports_again(
    bot: BotHarness, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    calls = await bot.send(ADMIN_ID, "/export xlsx")
    sent = calls.last("sendDocument")
    stored = bot.api.files[sent.result["document"]["file_id"]]
    assert stored.file_name is not None and stored.file_name.endswith(".xlsx")
    path = tmp_path / "export.xlsx"
    path.write_bytes(stored.content)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("项目编号 / code", "项目名称 / name") and len(rows) == 37
    before = catalog_snapshot(bot)
    calls = await bot.send_document(ADMIN_ID, "export.xlsx", stored.content)
    assert "36 project(s), all already in the catalog" in calls.texts()[-1]
    assert catalog_snapshot(bot) == before
