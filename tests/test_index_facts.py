"""ask() over a catalog of its own: each kind of fact in Chinese, traditional and English,
partial names, one candidate, several, none, and facts the record does not state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from index_support import load, new_db

from bot.views.answers import render_answer_text
from bot.views.i18n import to_traditional
from index import SearchEngine
from index.results import Answer

RECORDS: list[dict[str, Any]] = [
    {
        "code": "T-ROAD",
        "name": "太忻一体化经济区太忻快速路项目",
        "name_en": "Taiyuan-Xinzhou Expressway of the Taixin Economic Zone",
        "batch": "2024-2",
        "region": "山西省太原市尖草坪区",
        "industry": "交通运输",
        "investment_cny": 9_800_000_000,
        "private_capital_cny": 3_000_000_000,
        "cooperation": "PPP",
        "stage": "在建",
        "owner": "山西路桥建设集团有限公司",
        "contact": "太忻经济区管委会 0351-5550100",
        "summary": "项目起于太原市尖草坪区，止于忻州市忻府区，路线全长约46公里，双向六车道，"
        "设计时速80公里。采用PPP模式，合作期15年，社会资本方负责投融资和运营维护。",
        "summary_en": "An expressway of about 46 km from Taiyuan to Xinzhou with six lanes, "
        "built as a 15-year PPP.",
    },
    {
        "code": "T-STORE",
        "name": "朔州市平鲁区独立共享储能电站项目",
        "name_en": "Shuozhou Pinglu Independent Shared Energy Storage Station",
        "batch": "2024-2",
        "region": "山西省朔州市平鲁区",
        "industry": "新能源",
        "investment_cny": 720_000_000,
        "cooperation": "股权合作",
        "stage": "前期",
        "summary": "项目占地约50亩，建设200兆瓦/400兆瓦时磷酸铁锂电化学储能电站，配套建设220kV"
        "升压站。拟向民间资本开放40%股权，计划2025年6月并网，预计资本金内部收益率约6.8%。",
        "summary_en": "A 200 MW / 400 MWh battery storage station in Pinglu, Shuozhou. 40% of "
        "the equity is open to private investors; it should connect to the grid by June 2025.",
    },
    {
        "code": "T-WASTE",
        "name": "临汾生活垃圾焚烧发电项目",
        "name_en": "Linfen Household Waste-to-Energy Plant",
        "batch": "2023-4",
        "region": "山西省临汾市尧都区",
        "industry": "环保",
        "investment_cny": 650_000_000,
        "cooperation": "BOT",
        "stage": "前期",
        "contact": "临汾市城市管理局 0357-5550123",
        "summary": "项目建设日处理生活垃圾1200吨的焚烧线2条，配套25MW汽轮发电机组。采用BOT模式，"
        "特许期30年，垃圾处理补贴费约80元/吨。",
        "summary_en": "Two incineration lines for 1,200 t/day of household waste with a 25 MW "
        "turbine, offered as a 30-year BOT concession; tipping fee about 80 yuan/t.",
    },
    {
        "code": "T-WATER",
        "name": "芜湖市滨江污水处理厂二期工程",
        "batch": "2024-1",
        "region": "安徽省芜湖市镜湖区",
        "industry": "环保",
        "cooperation": "特许经营",
        "summary": "二期新增污水处理能力10万吨/日，新建配套管网约12公里。采用TOT+BOT模式，"
        "特许经营合作期25年，收入来自污水处理服务费。",
    },
    {
        "code": "T-DEPOT",
        "name": "山西贝尔油库扩建项目",
        "name_en": "Shanxi Beier Oil Depot Expansion",
        "batch": "2024-3",
        "region": "山西省太原市小店区",
        "industry": "能源",
        "investment_cny": 450_000_000,
        "private_capital_cny": 320_000_000,
        "cooperation": "特许经营",
        "summary": "对现有油库进行扩建，新增储罐及装卸、消防、环保配套设施。拟采用特许经营模式引入"
        "民间资本，特许经营期25年。",
        "summary_en": "Adds tanks, loading, fire-fighting and environmental facilities to an oil "
        "depot, offered to private capital as a 25-year concession.",
    },
    {
        "code": "T-MARKET",
        "name": "雁塔区农贸市场提升改造项目",
        "name_en": "Yanta District Farmers Market Upgrade",
        "batch": "2024-3",
        "region": "陕西省西安市雁塔区",
        "industry": "商贸物流",
        "cooperation": "股权合作",
        "summary": "对辖区老旧农贸市场进行标准化提升改造，完善冷链、消防和智慧管理设施，"
        "引入民营企业参与运营管理。",
        "summary_en": "Upgrades old farmers markets in Yanta with cold chain, fire safety and "
        "smart management, run with a private operator.",
    },
    {
        "code": "T-HOTEL-A",
        "name": "沪昆高速贵州段服务区提质改造项目",
        "batch": "2024-3",
        "region": "贵州省安顺市西秀区",
        "industry": "交通运输",
        "investment_cny": 300_000_000,
        "summary": "对沿线8对服务区进行提质改造，新增充电桩和商业设施。",
    },
    {
        "code": "T-HOTEL-B",
        "name": "沪昆高速湖南段服务区提质改造项目",
        "batch": "2024-3",
        "region": "湖南省怀化市鹤城区",
        "industry": "交通运输",
        "investment_cny": 260_000_000,
        "summary": "对沿线6对服务区进行提质改造，新增充电桩和商业设施。",
    },
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    folder: Path = tmp_path_factory.mktemp("facts")
    db = new_db(folder / "db")
    load(db, RECORDS, folder / "imports")
    engine = SearchEngine(db, folder / "index")
    engine.open()
    return engine


def said(a: Answer) -> str:
    return render_answer_text(a)


# (question, project, kind of fact, a string the answer must show)
FACTS = [
    ("太忻快速路有多长", "T-ROAD", "length", "46公里"),
    ("How long is the Taixin expressway?", "T-ROAD", "length", "46 km"),
    ("太忻快速路合作期几年", "T-ROAD", "duration", "15年"),
    ("朔州储能电站规模多大", "T-STORE", "size", "200兆瓦/400兆瓦时"),
    ("How big is the Shuozhou storage station?", "T-STORE", "size", "200 MW / 400 MWh"),
    ("朔州储能电站什么时候并网", "T-STORE", "date", "2025年6月"),
    ("When will the Shuozhou storage station connect to the grid?", "T-STORE", "date", "June 2025"),
    ("朔州储能项目向民间资本开放多少股权", "T-STORE", "share", "40%"),
    ("朔州储能电站的资本金收益率是多少", "T-STORE", "rate", "6.8%"),
    ("朔州储能电站占地多少亩", "T-STORE", "area", "50亩"),
    ("临汾垃圾焚烧发电项目的特许期多久", "T-WASTE", "duration", "30年"),
    ("How long is the Linfen waste-to-energy concession?", "T-WASTE", "duration", "30-year"),
    ("临汾垃圾发电厂的垃圾处理补贴费多少", "T-WASTE", "price", "80元/吨"),
    ("临汾垃圾焚烧一天处理多少吨垃圾", "T-WASTE", "size", "1200吨"),
    ("芜湖滨江污水处理厂二期的特许经营合作期是多少年", "T-WATER", "duration", "25年"),
    ("芜湖滨江污水厂二期处理规模多大", "T-WATER", "size", "10万吨/日"),
    ("太忻快速路项目总投资多少", "T-ROAD", "investment_cny", "98亿元"),
    (
        "What is the total investment of the Taixin expressway?",
        "T-ROAD",
        "investment_cny",
        "9.8 billion yuan",
    ),
    (
        "what does the oil depot expansion need?",
        "T-DEPOT",
        "private_capital_cny",
        "320 million yuan",
    ),
    ("太忻快速路是谁负责的", "T-ROAD", "owner", "山西路桥建设集团有限公司"),
    ("临汾垃圾焚烧发电项目的联系电话", "T-WASTE", "contact", "0357-5550123"),
]


@pytest.mark.parametrize(("question", "code", "fact", "shows"), FACTS)
def test_each_kind_of_fact_is_quoted_from_the_record(
    engine: SearchEngine, question: str, code: str, fact: str, shows: str
) -> None:
    a = engine.ask(question)
    assert a.kind == "attribute" and a.stated, (question, said(a))
    assert [p.code for p in a.projects] == [code]
    assert a.fact == fact and a.value and shows in said(a), (question, said(a))
    assert shows in a.value or a.field != "summary", (question, a.value)  # the figure itself
    if a.field == "summary":
        p = a.projects[0]
        assert a.sentence and a.sentence in f"{p.summary} {p.summary_en or ''}"
        assert a.value in a.sentence  # the figure stands in the sentence quoted beside it


@pytest.mark.parametrize(("question", "code", "fact", "shows"), FACTS[:16:3])
def test_traditional_questions_get_the_same_fact_in_traditional(
    engine: SearchEngine, question: str, code: str, fact: str, shows: str
) -> None:
    if not any("\u4e00" <= ch <= "\u9fff" for ch in question):
        pytest.skip("an English question")
    a = engine.ask(to_traditional(question))
    assert a.kind == "attribute" and a.projects[0].code == code and a.fact == fact
    text = said(a)
    assert to_traditional(shows) in text and to_traditional(a.projects[0].name) in text


def test_english_answers_are_english(engine: SearchEngine) -> None:
    a = engine.ask("How long is the Linfen waste-to-energy concession?")
    text = said(a)
    assert a.lang == "en" and "Linfen Household Waste-to-Energy Plant" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_a_partial_name_and_a_county_name_find_the_project(engine: SearchEngine) -> None:
    for question in (
        "临汾垃圾焚烧的特许期多久",
        "尧都区垃圾发电项目特许期多久",
        "临汾垃圾焚烧发店特许期多久",
    ):
        a = engine.ask(question)
        assert a.kind == "attribute" and a.projects[0].code == "T-WASTE", (question, said(a))
        assert "30年" in said(a)


def test_one_candidate_is_answered_not_asked_about(engine: SearchEngine) -> None:
    a = engine.ask("滨江污水处理厂特许经营合作期是多少年")
    assert a.kind == "attribute" and a.projects[0].code == "T-WATER"
    assert "哪个项目" not in said(a) and "25年" in said(a)


def test_several_close_projects_are_named_and_the_best_is_answered(engine: SearchEngine) -> None:
    a = engine.ask("沪昆高速服务区提质改造项目总投资多少")
    assert a.kind == "attribute" and a.field == "investment_cny"
    assert {a.projects[0].code, *(p.code for p in a.others)} == {"T-HOTEL-A", "T-HOTEL-B"}
    text = said(a)
    assert a.value and a.value in text and "与问题相符的还有" in text
    assert a.others[0].name in text


def test_no_project_of_that_name_is_said_so(engine: SearchEngine) -> None:
    a = engine.ask("火星基地项目有多长")
    assert a.kind == "none" and a.projects == [] and a.notice == "unknown_project"
    assert "目录里没有名为“火星基地”的项目" in said(a)
    a = engine.ask("How long is the Mars base concession?")
    assert a.kind == "none" and a.notice == "unknown_project"
    assert "No project in the catalog is called “mars base”" in said(a)


NOT_STATED = [
    ("雁塔区农贸市场提升改造项目有多长", "length", "没有写明长度"),
    ("雁塔农贸市场什么时候开工", "date", "没有写明这一时间"),
    ("雁塔区农贸市场改造的总投资多少", "investment_cny", "没有写明总投资"),
    ("雁塔区农贸市场改造项目的联系电话", "contact", "没有写明联系方式"),
    ("What is the IRR of the Yanta farmers market upgrade?", "rate", "does not state this rate"),
    ("How long is the Yanta farmers market concession?", "duration", "does not state this term"),
    ("滨江污水处理厂二期收益率多少", "rate", "没有写明这一比率"),
]


@pytest.mark.parametrize(("question", "fact", "says"), NOT_STATED)
def test_a_fact_the_record_lacks_is_said_to_be_not_stated(
    engine: SearchEngine, question: str, fact: str, says: str
) -> None:
    a = engine.ask(question)
    assert a.kind == "attribute" and not a.stated and a.value is None, (question, said(a))
    assert a.fact == fact
    text = said(a)
    assert says in text
    assert not any(ch.isdigit() for ch in text.split("\n")[0]), text  # no figure from elsewhere


def test_not_stated_offers_the_contact_when_there_is_one(engine: SearchEngine) -> None:
    a = engine.ask("临汾垃圾焚烧发电项目的收益率是多少")
    assert not a.stated and a.projects[0].code == "T-WASTE"
    assert "0357-5550123" in said(a)


def test_an_empty_amount_field_is_read_from_the_summary(tmp_path: Path) -> None:
    record = {
        "code": "T-PARK",
        "name": "赣州南康家具产业园二期项目",
        "batch": "2024-4",
        "region": "江西省赣州市南康区",
        "summary": "二期新建标准厂房和家具展销中心，总投资约18亿元，拟引入民间资本约6亿元。",
    }
    db = new_db(tmp_path / "db")
    load(db, [record], tmp_path / "imports")
    engine = SearchEngine(db, tmp_path / "index")
    engine.open()
    a = engine.ask("南康家具产业园二期总投资多少")
    assert a.stated and a.fact == "investment_cny" and a.value == "约18亿元"
    a = engine.ask("南康家具产业园二期需要多少民间资本")
    assert a.stated and a.fact == "private_capital_cny" and a.value == "约6亿元"
    a = engine.ask("南康家具产业园二期的联系电话")
    assert not a.stated and "没有写明联系方式" in said(a)
