"""End-to-end search on the dev catalog: filters applied exactly, languages, bad input, quality."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_support import codes, dev_dir, dev_engine, dev_records, load, new_db

from index import SearchEngine
from index.evaluation import evaluate, load_queries
from index.understanding.regions import gazetteer

RECORDS = {r["code"]: r for r in dev_records()}


@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    return dev_engine()


def _all(engine: SearchEngine, query: str) -> list[str]:
    result = engine.search(query, k=100)
    assert result.total == len(result.hits)
    return codes(result)


def _province(code: str) -> str | None:
    return gazetteer().parse(RECORDS[code].get("region")).province


def test_quality_floor_on_dev_set(engine: SearchEngine) -> None:
    report = evaluate(engine, load_queries(dev_dir() / "queries.jsonl")).as_dict()
    assert report["recall@5"] >= 0.88
    assert report["mrr@10"] >= 0.88
    assert report["leaks"] == 0


def test_region_filter_returns_exactly_the_province(engine: SearchEngine) -> None:
    expected = sorted(c for c in RECORDS if _province(c) == "河南省")
    assert sorted(_all(engine, "河南有哪些项目")) == expected
    assert sorted(_all(engine, "Which projects are in Henan province?")) == expected


def test_city_filter_with_content(engine: SearchEngine) -> None:
    got = _all(engine, "榆林的光伏项目")
    assert got and all(gazetteer().parse(RECORDS[c]["region"]).city == "榆林市" for c in got)
    assert got[0] == "DEV-006"


def test_amount_filters_are_exact(engine: SearchEngine) -> None:
    got = _all(engine, "投资额5亿以下的项目")
    assert sorted(got) == sorted(c for c, r in RECORDS.items() if r["investment_cny"] <= 5e8)
    got = _all(engine, "民间资本需求不到1亿的项目")
    assert sorted(got) == sorted(c for c, r in RECORDS.items() if r["private_capital_cny"] < 1e8)
    got = _all(engine, "projects with total investment over 10 billion yuan")
    assert sorted(got) == sorted(c for c, r in RECORDS.items() if r["investment_cny"] >= 1e10)
    got = _all(engine, "投资额在5亿到10亿之间的环保项目")
    assert got and all(5e8 <= RECORDS[c]["investment_cny"] <= 1e9 for c in got)


def test_cooperation_stage_and_batch_filters(engine: SearchEngine) -> None:
    assert sorted(_all(engine, "可以独资的项目")) == sorted(
        c for c, r in RECORDS.items() if r["cooperation"] == "独资"
    )
    concession = _all(engine, "能做特许经营的项目")
    assert {RECORDS[c]["cooperation"] for c in concession} <= {"特许经营", "BOT"}
    assert {c for c, r in RECORDS.items() if r["cooperation"] == "特许经营"} <= set(concession)
    assert sorted(_all(engine, "湖北在建的项目")) == sorted(
        c for c, r in RECORDS.items() if r["stage"] == "在建" and _province(c) == "湖北省"
    )
    got = _all(engine, "2024年第三批推介里的项目")
    assert sorted(got) == sorted(c for c, r in RECORDS.items() if r["batch"] == "2024-3")
    latest = max(
        {r["batch"] for r in RECORDS.values()}, key=lambda b: tuple(map(int, b.split("-")))
    )
    assert sorted(_all(engine, "最新一批的项目")) == sorted(
        c for c, r in RECORDS.items() if r["batch"] == latest
    )


def test_filter_only_lists_everything_that_passes(engine: SearchEngine) -> None:
    result = engine.search("四川省的推介项目", k=2)
    assert result.total == sum(1 for c in RECORDS if _province(c) == "四川省")
    assert len(result.hits) == 2
    page2 = engine.search("四川省的推介项目", k=2, offset=2)
    assert not set(codes(result)) & set(codes(page2))


def test_sector_queries_in_traditional_chinese_and_english(engine: SearchEngine) -> None:
    assert set(_all(engine, "有沒有風電項目")[:2]) == {"DEV-008", "DEV-010"}
    assert codes(engine.search("hydrogen refuelling stations", k=1)) == ["DEV-011"]
    assert codes(engine.search("the robot project in Wuhu", k=1)) == ["DEV-029"]
    assert set(codes(engine.search("半導體或者芯片", k=2))) == {"DEV-004", "DEV-005"}


def test_understanding_is_reported(engine: SearchEngine) -> None:
    u = engine.search("江苏的新能源项目").understanding
    assert u.region == "江苏省" and "new_energy" in u.sectors


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("", "empty_query"),
        ("   \t ", "empty_query"),
        ("😀🎉🚀", "unusable_query"),
        ("\x00\x01\x02", "empty_query"),
    ],
)
def test_unusable_queries_get_a_notice(engine: SearchEngine, query: str, notice: str) -> None:
    result = engine.search(query)
    assert result.notice == notice and result.hits == []


def test_very_long_query_is_truncated_with_notice(engine: SearchEngine) -> None:
    result = engine.search("光伏" * 5000)
    assert result.notice == "query_truncated"
    assert result.hits and result.hits[0].project.code in {"DEV-006", "DEV-007"}


def test_control_characters_inside_a_query_are_ignored(engine: SearchEngine) -> None:
    assert codes(engine.search("冷链\x00物流\x1b", k=2)) == codes(engine.search("冷链物流", k=2))


def test_unknown_words_give_no_results_not_noise(engine: SearchEngine) -> None:
    result = engine.search("zzqx qqzv")
    assert result.hits == [] and result.notice == "no_results"


def test_withdrawn_projects_are_never_returned(tmp_path: Path) -> None:
    records = [dict(r) for r in dev_records()[:12]]
    for r in records:
        if r["code"] in ("DEV-006", "DEV-008"):
            r["status"] = "withdrawn"
    db = new_db(tmp_path / "db")
    load(db, records, tmp_path / "imports")
    engine = SearchEngine(db, tmp_path / "index")
    engine.open()
    for q in ("光伏", "风电", "陕西的项目", "内蒙古有什么项目", "wind farm", "新能源项目"):
        found = _all(engine, q)
        assert "DEV-006" not in found and "DEV-008" not in found, q
    assert "DEV-007" in _all(engine, "光伏")
    assert engine.count() == 10


def test_negated_filters_end_to_end(engine: SearchEngine) -> None:
    got = _all(engine, "除了四川以外的项目")
    assert sorted(got) == sorted(c for c in RECORDS if _province(c) != "四川省")
    got = _all(engine, "不要PPP的项目")
    assert got and "DEV-017" not in got and "DEV-024" not in got
    got = _all(engine, "不是前期的新能源项目")
    assert got and all(RECORDS[c]["stage"] != "前期" for c in got)
