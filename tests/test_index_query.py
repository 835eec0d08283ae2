"""Query understanding without a model: amounts, regions, cooperation, stages, batches, sectors."""

from __future__ import annotations

import pytest

from index import format_cny, load_taxonomy, match_region, province_of
from index.understanding.query import parse_query
from index.understanding.text import normalize, tokenize

YI = 1e8


@pytest.mark.parametrize(
    ("query", "field", "low", "high"),
    [
        ("5亿以下的项目", "investment", None, 5 * YI),
        ("低于3亿元的新能源项目", "investment", None, 3 * YI),
        ("2000万以上", "investment", 2e7, None),
        ("投资不到1亿", "investment", None, 1 * YI),
        ("总投资50亿以上的大项目", "investment", 50 * YI, None),
        ("投資額在5億到10億之間的環保項目", "investment", 5 * YI, 10 * YI),
        ("projects under 500 million yuan", "investment", None, 5e8),
        ("total investment over 2 billion", "investment", None if False else 2e9, None),
        ("民间资本需求不到1亿的小项目", "private_capital", None, 1 * YI),
        ("社会资本超过五千万", "private_capital", 5e7, None),
        ("private capital under 300 million", "private_capital", None, 3e8),
        # a negated comparison word flips it: 不低于 is "at least", 不超过 "at most"
        ("总投资不低于10亿的风电项目", "investment", 10 * YI, None),
        ("不少于2000万", "investment", 2e7, None),
        ("不高于3亿", "investment", None, 3 * YI),
        ("no less than 500 million yuan", "investment", 5e8, None),
        ("not more than 2 billion", "investment", None, 2e9),
        # private capital named right after the amount
        (
            "projects needing more than 1 billion yuan of private capital",
            "private_capital",
            1e9,
            None,
        ),
        ("5亿以下的民间资本", "private_capital", None, 5 * YI),
    ],
)
def test_amount_filters(query: str, field: str, low: float | None, high: float | None) -> None:
    u = parse_query(query).understanding
    got = (
        (u.investment_min, u.investment_max)
        if field == "investment"
        else (u.private_capital_min, u.private_capital_max)
    )
    other = (
        (u.private_capital_min, u.private_capital_max)
        if field == "investment"
        else (u.investment_min, u.investment_max)
    )
    assert got == (low, high)
    assert other == (None, None)


def test_bare_quantities_are_not_amount_filters() -> None:
    u = parse_query("30万千瓦光伏项目").understanding
    assert u.investment_min is None and u.investment_max is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("河南有哪些项目", ["河南省"]),
        ("山西太原的项目", ["山西省太原市"]),
        ("陕西榆林的项目", ["陕西省榆林市"]),
        ("projects in Datong", ["山西省大同市"]),
        ("Which projects are in Hubei province?", ["湖北省"]),
        ("wind farm investment in Inner Mongolia", ["内蒙古自治区"]),
        ("projects in Shaanxi", ["陕西省"]),
        ("projects in Shanxi", ["山西省"]),
        ("廣東的投資項目", ["广东省"]),
        ("the cold chain project in Chengdu", ["四川省成都市"]),
    ],
)
def test_region_filters(query: str, expected: list[str]) -> None:
    assert parse_query(query).understanding.regions == expected


def test_region_group_expands_to_provinces() -> None:
    regions = parse_query("data center projects in western China").understanding.regions
    assert "四川省" in regions and "贵州省" in regions and "内蒙古自治区" in regions
    assert "江苏省" not in regions


def test_near_a_place_is_not_a_hard_filter() -> None:
    pq = parse_query("industrial park close to Shanghai")
    assert pq.understanding.regions == []
    assert pq.soft_terms


def test_match_region_and_province_of() -> None:
    assert match_region("太原有什么项目") == "山西省太原市"
    assert match_region("Taiyuan") == "山西省太原市"
    assert match_region("没有地名") is None
    assert province_of("山西省太原市清徐县") == "山西省"
    assert province_of("榆林") == "陕西省"


@pytest.mark.parametrize(
    ("query", "modes"),
    [
        ("可以做PPP的项目", {"PPP"}),
        ("能做特许经营的项目", {"特许经营", "BOT"}),
        ("BOT项目", {"BOT"}),
        ("可以独资的项目", {"独资"}),
        ("合资项目", {"合资"}),
        ("股权合作", {"股权合作"}),
        ("合同能源管理的节能项目", {"合同能源管理"}),
        ("any projects using EPC+O?", {"EPC+O"}),
        ("joint venture projects", {"合资"}),
        ("wholly owned projects", {"独资"}),
        ("a concession for a toll road", {"特许经营"}),
        ("equity partnership", {"股权合作"}),
    ],
)
def test_cooperation_filters(query: str, modes: set[str]) -> None:
    assert modes <= set(parse_query(query).understanding.cooperation)


@pytest.mark.parametrize(
    ("query", "stages"),
    [
        ("还在前期阶段的项目", ["前期"]),
        ("湖北在建的项目", ["在建"]),
        ("已经部分投产的农业项目", ["部分投产"]),
        ("已投产的项目", ["已投产"]),
        ("有没有已经全部建成、正在运营的存量项目", ["已投产"]),
        ("projects under construction", ["在建"]),
        ("projects already in operation", ["已投产"]),
        ("early stage projects", ["前期"]),
    ],
)
def test_stage_filters(query: str, stages: list[str]) -> None:
    assert parse_query(query).understanding.stages == stages


@pytest.mark.parametrize(
    ("query", "batch"),
    [
        ("2024年第4批的项目", "2024-4"),
        ("2024年第四批", "2024-4"),
        ("2024-4批次", "2024-4"),
        ("batch 3 of 2024", "2024-3"),
    ],
)
def test_batch_filters(query: str, batch: str) -> None:
    assert parse_query(query).understanding.batch == batch


def test_batch_without_year_and_latest_batch() -> None:
    assert parse_query("第四批有哪些").batch_number == 4
    pq = parse_query("最新一批的项目", latest_batch="2024-4")
    assert pq.latest_batch and pq.understanding.batch == "2024-4"
    assert parse_query("latest batch", latest_batch="2025-1").understanding.batch == "2025-1"


def test_filter_only_queries_have_no_content() -> None:
    for q in (
        "河南有哪些项目",
        "可以独资的项目",
        "四川省的推介项目",
        "Which projects are in Hubei?",
    ):
        assert parse_query(q).filter_only, q
    assert not parse_query("河南的医院项目").filter_only


def test_taxonomy_expands_broader_terms() -> None:
    tax = load_taxonomy()
    green = tax.expand("绿色电力")
    assert {"solar", "wind", "storage"} <= set(green)
    assert "semiconductor" in tax.expand("chips")
    assert "elderly_care" in tax.expand("老人")
    assert "medical" in tax.expand("医院")
    # colloquial wording fitted to dev queries is gone: that is the vector leg's job
    assert tax.expand("看病") == []
    assert "data_center" in tax.expand("算力")
    # traditional Chinese works through t2s
    assert "semiconductor" in tax.expand("半導體")
    assert "wind" in tax.expand("風電")
    assert "elderly_care" in tax.expand("養老")


def test_longest_term_wins() -> None:
    hits = load_taxonomy().find(normalize("新能源汽车充电"))
    assert hits[0].term == "新能源汽车"
    assert "nev" in hits[0].sectors


def test_homophone_typo_maps_to_the_term() -> None:
    pq = parse_query("光付项目有吗")
    assert "solar" in pq.understanding.sectors
    assert not parse_query("公益项目").sector_hits  # a real word is not a typo


def test_normalisation_and_tokens() -> None:
    assert normalize("ＰＰＰ項目　２０２４") == "ppp项目 2024"
    toks = tokenize(normalize("Hydrogen refuelling stations 加氢站"))
    assert "hydrogen" in toks and "station" in toks and "加氢站" in toks


def test_format_cny() -> None:
    assert format_cny(1.2e9, "zh") == "12亿元"
    assert format_cny(3.5e7, "zh") == "3500万元"
    assert format_cny(1.2e9, "en") == "1.2 billion yuan"
    assert format_cny(3.5e8, "en") == "350 million yuan"
    assert format_cny(4.6e8, "zh") == "4.6亿元"
    assert format_cny(None, "en") == "not stated"


def test_describe_names_the_filters() -> None:
    u = parse_query("山西5亿以下的在建项目").understanding
    text = u.describe("zh")
    assert "山西省" in text and "5亿元" in text and "在建" in text
    assert "5 hundred million" not in u.describe("en") and "500 million yuan" in u.describe("en")


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("3亿左右的项目", 2.1 * YI, 3.9 * YI),
        ("around 500 million yuan", 3.5e8, 6.5e8),
        ("below RMB 1 billion", None, 1e9),
        ("过亿的项目", 1 * YI, None),
        ("百亿级项目", 100 * YI, None),
    ],
)
def test_more_amount_forms(query: str, low: float | None, high: float | None) -> None:
    u = parse_query(query).understanding
    assert (u.investment_min, u.investment_max) == pytest.approx((low, high))


@pytest.mark.parametrize(
    ("query", "batch"),
    [("2024年4批", "2024-4"), ("2024 batch 2", "2024-2"), ("round 1 of 2023", "2023-1")],
)
def test_more_batch_forms(query: str, batch: str) -> None:
    assert parse_query(query).understanding.batch == batch


def test_more_stage_words() -> None:
    assert parse_query("正在施工的项目").understanding.stages == ["在建"]
    assert parse_query("即将开工的项目").understanding.stages == ["前期"]


def test_project_regions_parse_with_or_without_the_province() -> None:
    from index.understanding.regions import gazetteer

    gaz = gazetteer()
    assert gaz.parse("山西省太原市清徐县").county == "清徐县"
    assert gaz.parse("太原市清徐县").province == "山西省"
    assert gaz.parse("清徐县").city == "太原市"  # a unique county name alone
    assert gaz.parse("朝阳区").province is None  # several 朝阳区: not guessed
    assert gaz.parse("内蒙古自治区包头市达尔罕茂明安联合旗").city == "包头市"
    assert gaz.parse("贵州省黔东南苗族侗族自治州雷山县").county == "雷山县"


def test_negated_filters_exclude() -> None:
    u = parse_query("除了四川以外的项目").understanding
    assert u.exclude_regions == ["四川省"] and u.regions == []
    assert parse_query("不要PPP的项目").understanding.exclude_cooperation == ["PPP"]
    assert parse_query("不是前期的新能源项目").understanding.exclude_stages == ["前期"]
    assert parse_query("projects outside Guangdong").understanding.exclude_regions == ["广东省"]
    assert parse_query("河南的非遗项目").understanding.regions == ["河南省"]  # 非遗 is a word
