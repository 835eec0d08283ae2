"""Gibberish is not a search (issue 12, item 9): random characters, random letters and random
Chinese characters get the "could not make a search out of that" notice, while requests in
words, however short or unusual, are still searched. A bare amount is a filter."""

from __future__ import annotations

import random
import string

import pytest
from botharness import BotHarness
from botsetup import shared_services
from index_support import dev_engine

from bot.local.api import parse_html
from bot.views.i18n import t
from index import SearchEngine
from index.match import parse_ticket
from index.understanding.query import parse_query


@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    return dev_engine()


def random_text(seed: int, length: int, alphabet: str | None = None) -> str:
    """Characters drawn at random: from `alphabet`, else from all of U+0021..U+9FFF."""
    rng = random.Random(seed)
    if alphabet:
        return "".join(rng.choice(alphabet) for _ in range(length))
    return "".join(chr(rng.randint(0x21, 0x9FFF)) for _ in range(length))


def random_cjk(seed: int, length: int) -> str:
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(length))


GIBBERISH = [
    *(random_text(seed, 3000) for seed in range(3)),
    *(random_text(seed, 200, string.ascii_lowercase + "    ") for seed in range(3)),
    *(random_cjk(seed, n) for seed in range(3) for n in (12, 40, 3000)),
    "o r yooq xkcd plmw",
    "zzqx qqzv",
    "asdfgh jkl",
]


@pytest.mark.parametrize("query", GIBBERISH, ids=[f"gibberish{i}" for i in range(len(GIBBERISH))])
def test_gibberish_is_not_understood_as_a_search(engine: SearchEngine, query: str) -> None:
    result = engine.search(query)
    assert result.notice == "unusable_query"
    assert result.hits == [] and result.total == 0
    assert result.understanding.describe("en") == ""  # no sector, no keyword "understood"


@pytest.mark.parametrize(
    "query",
    [
        "有没有半导体相关的项目",
        "光伏",
        "equity partnership",
        "somewhere retirees can spend the winter",
        "the robot project in Wuhu",
        "冷链物流 o",
        "想投点钱做养老",
        "hydrogen refuelling stations",
    ],
)
def test_requests_in_words_are_still_searched(engine: SearchEngine, query: str) -> None:
    assert engine.search(query).notice != "unusable_query"


def test_a_real_word_the_catalog_lacks_finds_nothing_rather_than_nonsense(
    engine: SearchEngine,
) -> None:
    result = engine.search("vineyard")
    assert result.notice == "no_results" and result.understanding.terms == ["vineyard"]


def test_show_me_everything_lists_the_catalog(engine: SearchEngine) -> None:
    result = engine.search("show me everything")
    assert result.notice is None and result.total >= 30


def test_lone_letters_are_not_search_words() -> None:
    pq = parse_query("o r 冷链物流 x")
    assert not {"o", "r", "x"} & set(pq.tokens)
    assert "冷链物流" in pq.understanding.sector_names or pq.sector_terms


@pytest.mark.parametrize(
    ("query", "value"),
    [("5亿", 5e8), ("500万", 5e6), ("5 亿元", 5e8), ("投资5亿的项目", 5e8), ("2 billion", 2e9)],
)
def test_a_bare_amount_is_an_amount_filter(query: str, value: float) -> None:
    u = parse_query(query).understanding
    assert u.investment_min is not None and u.investment_max is not None
    assert u.investment_min < value < u.investment_max
    assert u.terms == []  # not the keyword "5"


def test_a_bare_amount_of_private_capital_filters_that_field() -> None:
    u = parse_query("民间资本5亿").understanding
    assert u.private_capital_min is not None and u.private_capital_min < 5e8
    assert u.investment_min is None


@pytest.mark.parametrize("query", ["50万千瓦光伏", "10万吨冷库", "千万不要PPP", "100万人口的城市"])
def test_counted_things_are_not_amounts(query: str) -> None:
    u = parse_query(query).understanding
    assert (u.investment_min, u.investment_max) == (None, None)


def test_bare_amounts_filter_search_results(engine: SearchEngine) -> None:
    result = engine.search("5亿", k=100)
    assert result.notice is None and result.hits
    for hit in result.hits:
        assert hit.project.investment_cny is not None
        assert 3e8 <= hit.project.investment_cny <= 7e8


def test_the_profile_ticket_keeps_a_single_amount_as_its_ceiling() -> None:
    assert parse_ticket("5000万") == (None, 5e7)


async def test_the_bot_answers_gibberish_with_could_not_make_a_search() -> None:
    svc = shared_services()
    async with BotHarness(svc.settings, svc) as bot:
        bot.user(7301, first_name="Noise", language_code=None)  # as many clients send
        for text, langs in (
            (random_text(5, 3000), ("zh", "zh-hant")),  # mostly Han characters: in Chinese
            ("o r yooq xkcd plmw qwv", ("en",)),
        ):
            calls = await bot.send(7301, text)
            replies = [parse_html(body) for body in calls.texts()]
            expected = [[parse_html(t(lang, "search.notice.unusable_query"))] for lang in langs]
            assert replies in expected, replies
            assert calls.last("sendMessage").params.get("reply_markup") is None  # no cards
