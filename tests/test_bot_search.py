"""Search, paging, details, answers, inline mode, deep links and languages, through the real
Application with the real search engine over the dev catalog (plus two awkward projects)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID, shared_services
from sqlmodel import Session, col, select

from bot.local.api import parse_html, utf16_len
from bot.services import Services
from bot.views.answers import render_answer_text
from bot.views.i18n import to_traditional
from bot.views.links import parse_start, start_param
from bot.views.understood import describe_understanding
from catalog.models import Investor, Project, ProjectPublic, QueryLog


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin")
        harness.user(ADMIN_2, first_name="Admin2")
        yield harness


def project(svc: Services, code: str) -> ProjectPublic:
    with Session(svc.db) as session:
        row = session.exec(select(Project).where(col(Project.code) == code)).one()
        return ProjectPublic.model_validate(row.model_dump())


def shown(call_text: str | None) -> str:
    """What the user sees: the HTML as Telegram renders it to plain text."""
    return parse_html(call_text or "")


async def test_search_shows_five_cards_with_buttons_and_pages_by_editing(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2001, language_code="en", chosen="en", username="ann")
    await bot.choose_language(2001, "en")
    expected = svc.search.search("光伏", k=5)
    assert expected.total > 5, "the dev catalog has more than five solar projects"

    calls = await bot.send(2001, "光伏")
    sent = calls.last("sendMessage")
    text = shown(sent.text)
    assert describe_understanding("en", expected.understanding) in text
    assert f"1–5 of {expected.total}" in text
    for n, hit in enumerate(expected.hits, start=1):
        assert f"{n}. {hit.project.name_en or hit.project.name}" in text
    rows = sent.keyboard
    assert len(rows) == 6  # five cards and the paging row
    for hit, row in zip(expected.hits, rows, strict=False):
        assert row[0]["callback_data"] == f"d:{hit.project.id}"
        assert row[1]["callback_data"] == f"i:{hit.project.id}"
        assert row[2]["url"].startswith("https://t.me/share/url?url=")
    more = sent.button("More")["callback_data"]

    with Session(svc.db) as session:
        investor = session.exec(
            select(Investor).where(col(Investor.telegram_user_id) == 2001)
        ).one()
        logged = session.exec(
            select(QueryLog).where(col(QueryLog.investor_id) == investor.id)
        ).all()
    assert [(q.query, q.results) for q in logged] == [("光伏", expected.total)]
    assert more == f"m:q:{logged[0].id}:5"

    page2 = svc.search.search("光伏", k=5, offset=5)
    calls = await bot.press(2001, more)
    assert calls.methods[0] == "answerCallbackQuery"
    edited = calls.last("editMessageText")
    assert edited.params["message_id"] == sent.result["message_id"]
    assert "sendMessage" not in calls.methods
    for n, hit in enumerate(page2.hits, start=6):
        assert f"{n}. {hit.project.name_en or hit.project.name}" in shown(edited.text)
    assert edited.button("Back")["callback_data"] == f"m:q:{logged[0].id}:0"
    assert all("More" not in b["text"] for b in edited.buttons)


async def test_details_show_every_field(bot: BotHarness, svc: Services) -> None:
    bot.user(2002, language_code="zh")
    p = project(svc, "DEV-001")
    calls = await bot.press(2002, f"d:{p.id}", message_id=(await bot.send(2002, "数据中心")).last(
        "sendMessage").result["message_id"])  # fmt: skip
    text = shown(calls.last("sendMessage").text)
    for value in (p.name, p.code, p.region, p.industry, p.cooperation, p.stage, p.owner,
                  p.contact, p.summary, p.batch, "36亿元", "12亿元"):  # fmt: skip
        assert value and value in text, value
    assert calls.last("sendMessage").button("感兴趣")["callback_data"] == f"i:{p.id}"


async def test_question_about_one_project_is_answered_from_its_record(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2003, language_code="zh")
    question = "贵安新区绿色数据中心二期项目需要多少民间资本?"
    answer = svc.search.ask(question)
    assert answer.kind == "attribute"
    calls = await bot.send(2003, question)
    sent = calls.last("sendMessage")
    assert render_answer_text(answer) in shown(sent.text)
    assert "贵安新区绿色数据中心二期项目" in shown(sent.text) and "12亿元" in shown(sent.text)
    assert sent.keyboard[0][0]["callback_data"] == f"d:{answer.projects[0].id}"


async def test_nothing_found_says_so_and_suggests_sectors_and_regions(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2004, language_code="zh")
    query = "新能源 西藏"
    assert svc.search.search(query).total == 0
    text = shown((await bot.send(2004, query)).last("sendMessage").text)
    assert "没有与“新能源 西藏”匹配的项目" in text
    with Session(svc.db) as session:
        industries = [p.industry or "" for p in session.exec(select(Project)).all()]
    most_common = max(set(industries), key=industries.count)
    assert most_common in text
    assert "省" in text.split("地区")[-1]


async def test_markup_characters_in_catalog_text_render_as_written(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2005, language_code="zh")
    p = project(svc, "TEST-ESC")
    calls = await bot.send(2005, f"/start {start_param(p)}")
    text = shown(calls.last("sendMessage").text)
    assert "A<b>&_*" in text
    assert "<Owner> & Sons_*" in text and "a&b <c@example.com>" in text
    cards = shown((await bot.send(2005, "A<b>&_*")).last("sendMessage").text)
    assert "A<b>&_*" in cards


async def test_a_reply_longer_than_telegram_allows_is_split_on_lines(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2006, language_code="zh")
    p = project(svc, "TEST-LONG/长")
    param = start_param(p)
    assert len(param) <= 64 and parse_start(param) == ("code", "TEST-LONG/长")
    calls = await bot.send(2006, f"/start {param}")
    parts = calls.of("sendMessage")
    assert len(parts) >= 2
    assert all(utf16_len(shown(c.text)) <= 4096 for c in parts)
    assert [bool(c.keyboard) for c in parts] == [False] * (len(parts) - 1) + [True]
    joined = "\n".join(shown(c.text) for c in parts)
    lines = [line for line in p.summary.split("\n")]
    positions = [joined.index(line) for line in lines]
    assert positions == sorted(positions), "summary lines arrive complete and in order"


async def test_deep_link_opens_details_and_unknown_links_say_so(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2007, language_code="en", chosen="en")
    p = project(svc, "DEV-002")
    text = shown((await bot.send(2007, f"/start {start_param(p)}")).last("sendMessage").text)
    assert p.name_en and p.name_en in text and p.contact and p.contact in text
    gone = shown((await bot.send(2007, "/start p_Tk8tU1VDSA")).last("sendMessage").text)
    assert "no longer in the catalog" in gone


async def test_inline_query_pages_with_next_offset(bot: BotHarness, svc: Services) -> None:
    bot.user(2008, language_code="en", chosen="en")
    with Session(svc.db) as session:
        published = len(session.exec(select(Project).where(Project.status == "published")).all())
    seen: list[str] = []
    offset = ""
    for _ in range(10):
        call = (await bot.inline(2008, "", offset)).last("answerInlineQuery")
        results = call.params["results"]
        seen += [r["id"] for r in results]
        offset = call.params.get("next_offset") or ""
        if not offset:
            break
        assert offset == str(len(seen))
    assert len(seen) == len(set(seen)) == published

    call = (await bot.inline(2008, "光伏")).last("answerInlineQuery")
    first = call.params["results"][0]
    best = svc.search.search("光伏", k=1).hits[0].project
    assert first["id"] == str(best.id)
    message = first["input_message_content"]["message_text"]
    assert f"https://t.me/tuijie_test_bot?start={start_param(best)}" in message
    assert first["reply_markup"]["inline_keyboard"][0][0]["url"].endswith(start_param(best))


async def test_lang_switches_and_is_stored(bot: BotHarness, svc: Services) -> None:
    bot.user(2009, language_code="en", chosen="en")
    calls = await bot.send(2009, "/lang")
    assert [b["callback_data"] for b in calls.last("sendMessage").buttons] == [
        "lang:zh", "lang:zh-hant", "lang:en"]  # fmt: skip
    calls = await bot.press(2009, "lang:zh")
    assert calls.last("editMessageText").text == "之后我将用中文回答。"
    with Session(svc.db) as session:
        investor = session.exec(
            select(Investor).where(col(Investor.telegram_user_id) == 2009)
        ).one()
    assert investor.language == "zh"
    assert "我能做什么" in (await bot.send(2009, "/help")).last("sendMessage").text  # type: ignore[operator]


async def test_traditional_chinese_is_answered_in_traditional(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2010, language_code="zh-hant")
    question = "貴安新區綠色數據中心二期項目需要多少民間資本?"
    text = shown((await bot.send(2010, question)).last("sendMessage").text)
    assert to_traditional("贵安新区绿色数据中心二期项目") in text
    assert "億元" in text and "亿" not in text
    cards = shown((await bot.send(2010, "數據中心")).last("sendMessage").text)
    assert "總投資" in cards and "总投资" not in cards
    assert html.unescape(cards) == cards


async def test_english_sector_is_the_projects_own_industry(bot: BotHarness, svc: Services) -> None:
    bot.user(2011, language_code="en", chosen="en")
    await bot.choose_language(2011, "en")
    materials = project(svc, "TEST-ESC")
    assert materials.industry == "新材料"
    text = shown(
        (await bot.send(2011, f"/start {start_param(materials)}")).last("sendMessage").text
    )
    assert "Sector: New materials" in text and "Batteries" not in text

    digital = project(svc, "DEV-001")
    assert digital.industry == "数字经济"
    text = shown((await bot.send(2011, f"/start {start_param(digital)}")).last("sendMessage").text)
    assert "Sector: Digital economy" in text and "Semiconductors" not in text
    hits = svc.search.search("数字经济", k=5).hits
    cards = shown((await bot.send(2011, "数字经济")).last("sendMessage").text)
    industries = [h.project.industry for h in hits]
    assert "数字经济" in industries
    assert cards.count("· Digital economy") == industries.count("数字经济")
    assert cards.count("· Semiconductors") == industries.count("半导体")


async def test_a_chosen_language_wins_over_the_script_of_one_message(bot: BotHarness) -> None:
    bot.user(2012, language_code="en", chosen="en")
    await bot.send(2012, "/lang")
    await bot.press(2012, "lang:zh")
    cards = shown((await bot.send(2012, "數據中心")).last("sendMessage").text)
    assert "总投资" in cards and "總投資" not in cards
    assert "我能做什么" in shown((await bot.send(2012, "/help")).last("sendMessage").text)


async def test_traditional_is_for_that_reply_only_when_no_language_was_chosen(
    bot: BotHarness,
) -> None:
    bot.user(2013, language_code="zh")
    cards = shown((await bot.send(2013, "數據中心")).last("sendMessage").text)
    assert "總投資" in cards
    assert "我能做什么" in shown((await bot.send(2013, "/help")).last("sendMessage").text)
    cards = shown((await bot.send(2013, "数据中心")).last("sendMessage").text)
    assert "总投资" in cards and "總投資" not in cards


async def test_english_nothing_found_suggests_english_sector_and_region_names(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2014, language_code="en", chosen="en")
    await bot.choose_language(2014, "en")
    assert svc.search.search("新能源 西藏").total == 0
    text = shown((await bot.send(2014, "新能源 西藏")).last("sendMessage").text)
    (hint,) = [line for line in text.splitlines() if line.startswith("Try a sector")]
    assert not re.search(r"[\u4e00-\u9fff]", hint), hint
    assert "Shanxi" in hint or "Guizhou" in hint or "Inner Mongolia" in hint


async def test_an_english_question_from_a_chinese_user_gets_english_buttons(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2015, language_code="zh")
    question = "How much private capital does Gui'an New Area Green Data Center Phase II need?"
    answer = svc.search.ask(question)
    assert answer.kind == "attribute" and answer.lang == "en"
    sent = (await bot.send(2015, question)).last("sendMessage")
    assert render_answer_text(answer) in shown(sent.text)
    labels = [b["text"] for b in sent.buttons]
    assert any("Details" in label for label in labels) and "♥ Interested" in labels, labels
    assert not any(re.search(r"[\u4e00-\u9fff]", label) for label in labels), labels


@pytest.mark.parametrize(
    ("user_id", "code", "text", "expected"),
    [
        (2016, "zh", "你好", "您好！直接输入"),
        (2017, "zh", "您好！", "您好！直接输入"),
        (2018, "en", "Hello", "Hello! Type what you are looking for"),
        (2019, "en", "hi!", "Hello! Type what you are looking for"),
    ],
)
async def test_a_greeting_gets_a_hint_and_is_not_logged_as_a_query(
    bot: BotHarness, svc: Services, user_id: int, code: str, text: str, expected: str
) -> None:
    bot.user(user_id, language_code=code)
    calls = await bot.send(user_id, text)
    (sent,) = calls.of("sendMessage")
    assert shown(sent.text).startswith("👋 " + expected) and "/help" in shown(sent.text)
    with Session(svc.db) as session:
        logged = session.exec(select(QueryLog).where(col(QueryLog.query) == text)).all()
    assert logged == []
