"""Stages: the four known ones, the wordings offices use for them, and nonsense refused
(the shared row check, so imports, /add and /edit obey the same rule)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID
from test_admin_handlers import project, seeded_services

from catalog.exchange import validate_record
from catalog.stages import normalise_stage


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = seeded_services(tmp_path)
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en")
        harness.user(ADMIN_2, language_code="en")
        yield harness
    svc.db.dispose()


WORDINGS = {
    "前期": "前期",
    "前期工作推进中": "前期",
    "已完成可研，正在办理用地手续": "前期",
    "拟开工": "前期",
    "谋划储备": "前期",
    "在建": "在建",
    "已开工建设": "在建",
    "续建": "在建",
    "部分投产": "部分投产",
    "一期已建成投产，二期前期": "部分投产",
    "已投产": "已投产",
    "已建成": "已投产",
    "建成运营": "已投产",
    "Under construction": "在建",
    "in operation": "已投产",
    "early stage": "前期",
}


@pytest.mark.parametrize(("wording", "stage"), WORDINGS.items())
def test_office_wordings_map_to_the_four_stages(wording: str, stage: str) -> None:
    assert normalise_stage(wording) == stage


@pytest.mark.parametrize("nonsense", ["打酱油", "x", "很好"])
def test_an_unknown_stage_is_refused_with_the_list(nonsense: str) -> None:
    record, errors = validate_record({"code": "S1", "name": "n", "batch": "b", "summary": "s",
                                      "stage": nonsense}, 3)  # fmt: skip
    assert record is None
    (error,) = errors
    assert error.field == "stage" and all(s in error.reason for s in ("前期", "在建", "已投产"))


def test_an_office_wording_is_stored_as_its_stage() -> None:
    raw = {"code": "S1", "name": "n", "batch": "b", "summary": "s", "stage": "已开工建设"}
    record, errors = validate_record(raw, 1)
    assert not errors and record is not None and record.stage == "在建"


async def test_edit_refuses_a_stage_that_is_none(bot: BotHarness) -> None:
    before = project(bot, "DEV-001").stage
    calls = await bot.send(ADMIN_ID, "/edit DEV-001 stage=打酱油")
    text = calls.texts()[0]
    assert "stage" in text and "前期" in text and "已投产" in text
    assert project(bot, "DEV-001").stage == before
    await bot.send(ADMIN_ID, "/edit DEV-001 stage=已建成")
    assert project(bot, "DEV-001").stage == "已投产"
