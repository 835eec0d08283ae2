"""ask(): one project's attribute from its record, or a list of matches."""

from __future__ import annotations

import pytest
from index_support import dev_engine

from bot.views.answers import render_answer_text
from index import SearchEngine
from index.results import Answer


def said(a: Answer) -> str:
    """The answer as `tuijie ask` prints it."""
    return render_answer_text(a)


@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    return dev_engine()


def test_private_capital_is_answered_with_the_figure(engine: SearchEngine) -> None:
    a = engine.ask("贵州那个数据中心需要多少民间资本?")
    assert a.kind == "attribute" and a.field == "private_capital_cny"
    assert [p.code for p in a.projects] == ["DEV-001"]
    assert a.value == "12亿元" and "12亿元" in said(a) and "贵安新区绿色数据中心" in said(a)


def test_english_question_gets_an_english_figure(engine: SearchEngine) -> None:
    a = engine.ask("How much private capital does the Yibin expressway need?")
    assert a.lang == "en" and a.field == "private_capital_cny"
    assert a.value == "4.4 billion yuan" and "Yibin" in said(a)


def test_total_investment_contact_owner_stage(engine: SearchEngine) -> None:
    a = engine.ask("叉车厂要投多少钱啊")
    assert (a.field, a.value, a.projects[0].code) == ("investment_cny", "8亿元", "DEV-030")
    a = engine.ask("舟山油库项目的联系电话是多少")
    assert a.field == "contact" and a.projects[0].code == "DEV-014"
    assert a.value and a.value == a.projects[0].contact and a.value in said(a)
    a = engine.ask("武安钢铁低碳改造项目是谁在负责")
    assert a.field == "owner" and a.value == a.projects[0].owner
    a = engine.ask("湘潭電機項目現在進展到哪一步了?")
    assert (a.field, a.value, a.projects[0].code) == ("stage", "部分投产", "DEV-031")
    a = engine.ask("榆林那个煤制烯烃项目的合作方式")
    assert (a.field, a.value) == ("cooperation", "合资")


def test_summary_sentence_answers(engine: SearchEngine) -> None:
    a = engine.ask("宜宾高速公路的特许经营期多长?")
    assert a.kind == "attribute" and a.field == "summary" and a.projects[0].code == "DEV-034"
    assert a.value == "约26年" and a.sentence and "特许经营" in a.sentence
    assert a.value in a.sentence and a.sentence in a.projects[0].summary
    a = engine.ask("What is the expected IRR of the Dingbian solar project?")
    assert a.projects[0].code == "DEV-006" and a.sentence and "IRR" in a.sentence
    a = engine.ask("河南 hospital 项目有多少床位")
    assert a.projects[0].code == "DEV-023" and a.value == "800张"


def test_question_without_a_clear_project_lists_matches(engine: SearchEngine) -> None:
    a = engine.ask("how long is the concession?")
    assert a.kind == "list" and len(a.projects) > 1
    assert all(p.cooperation in ("特许经营", "BOT") for p in a.projects)
    assert said(a).startswith("Which project")
    a = engine.ask("有哪些光伏项目")
    assert a.kind == "list" and {p.code for p in a.projects} >= {"DEV-006", "DEV-007"}
    assert "1. " in said(a)


def test_a_project_not_in_the_catalog_is_not_confused_with_another(engine: SearchEngine) -> None:
    a = engine.ask("贝尔油库扩建项目需要多少民间资本?")
    assert a.kind != "attribute"


def test_nothing_to_answer(engine: SearchEngine) -> None:
    for q in ("", "   ", "🙂🙂", "zzqx qqzv"):
        a = engine.ask(q)
        assert a.kind == "none" and a.projects == [] and said(a)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    from index_support import new_db

    from catalog.demo import load_demo_if_empty

    folder = tmp_path_factory.mktemp("demo")
    db = new_db(folder / "db")
    assert load_demo_if_empty(db) > 0
    engine = SearchEngine(db, folder / "index")
    engine.open()
    return engine


def test_an_unknown_name_next_to_a_known_one_is_not_answered_as_the_known_one(
    demo_engine: SearchEngine,
) -> None:
    # The demo's bell-type furnace retrofit (太钢…罩式炉…) is withdrawn; another 太钢 project is
    # published. A question naming the withdrawn one must not get the other's figures.
    withdrawn = demo_engine.project("TY2024-05")
    assert withdrawn is not None and withdrawn.status == "withdrawn"
    for q in ("太钢罩式炉项目需要多少民间资本", "太钢罩式炉项目的联系方式"):
        a = demo_engine.ask(q)
        assert a.kind != "attribute", (q, said(a))
        assert "TY2024-05" not in {p.code for p in a.projects}


def test_a_name_with_a_sector_word_in_it_is_still_answered(demo_engine: SearchEngine) -> None:
    a = demo_engine.ask("晶科能源项目的总投资是多少")
    assert a.kind == "attribute" and a.field == "investment_cny"
    assert a.projects[0].name.startswith("晶科能源")
    assert "120亿元" in said(a)


def test_demo_facts_from_the_summary(demo_engine: SearchEngine) -> None:
    a = demo_engine.ask("半导体生态科技港什么时候开工")
    assert a.kind == "attribute" and a.projects[0].code == "TY2024-02" and a.fact == "date"
    assert a.value == "2024年11月" and "2024年11月" in said(a)
    a = demo_engine.ask("what does the oil depot expansion need?")
    assert a.kind == "attribute" and a.projects[0].code == "TY2024-03"
    assert a.field == "private_capital_cny" and a.value and a.value in said(a)


def test_english_question_over_a_chinese_record_quotes_summary_en(engine: SearchEngine) -> None:
    a = engine.ask("How long is the Yan'an gas pipeline concession?")
    assert a.kind == "attribute" and a.projects[0].code == "DEV-013" and a.fact == "duration"
    assert a.value == "30-year" and a.sentence and a.sentence in (a.projects[0].summary_en or "")


def test_the_rate_named_is_the_rate_given(engine: SearchEngine) -> None:
    # summary_en holds an IRR but no PUE: the PUE comes from the Chinese summary, never the IRR
    a = engine.ask("What is the PUE of the Gui'an data center?")
    assert a.fact == "rate" and a.value and "1.25" in a.value and "8" not in a.value
    a = engine.ask("无锡功率半导体项目年封装多少模块")  # 功率 is not a rate
    assert a.fact == "count" and a.value == "1200万只"


def test_the_counted_unit_wins_over_other_figures(engine: SearchEngine) -> None:
    a = engine.ask("宜宾高速日均车流量多少")
    assert a.value == "约1.8万辆"  # not the year in the same clause
    a = engine.ask("How many forklifts a year will the Xinxiang base make?")
    assert a.value == "30,000 electric forklifts"


def test_a_yes_no_question_quotes_the_sentence(engine: SearchEngine) -> None:
    a = engine.ask("Can a private firm own the Wuhu robot project outright?")
    assert a.fact == "yes_no" and a.projects[0].code == "DEV-029"
    assert a.sentence and "sole owners" in a.sentence and a.sentence in said(a)


def test_a_count_of_something_else_is_not_the_answer(engine: SearchEngine) -> None:
    # the record counts racks, not staff or servers: say it is not stated, never "12000架"
    for q in ("贵安数据中心有多少员工", "贵安数据中心二期有多少台服务器"):
        a = engine.ask(q)
        assert a.kind == "attribute" and not a.stated and "12000" not in said(a), said(a)
        assert "没有写明这一数量" in said(a) and "0851-5550184" in said(a)
    a = engine.ask("How many employees will the Gui'an data center have?")
    assert not a.stated and "does not state this number" in said(a) and "12,000" not in said(a)


def test_a_search_with_a_bound_or_a_category_is_not_answered_as_one_project(
    engine: SearchEngine,
) -> None:
    a = engine.ask(
        "装机容量50万千瓦以上的风电项目"
    )  # a bound: a search, though 装机 is a fact word
    assert a.kind == "list" and "DEV-008" in [p.code for p in a.projects]
    a = engine.ask("光伏项目什么时候并网")  # several solar projects: the best, the others named
    assert a.kind == "attribute" and a.others and "与问题相符的还有" in said(a)
