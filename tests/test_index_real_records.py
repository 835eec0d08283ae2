"""Real promoted projects are messy: compound cooperation values, absent amounts, stated terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from index_support import codes, dev_records, load, new_db

from index import SearchEngine
from index.store.facets import coop_parts

COOPS = {
    "DEV-001": "PPP（BOT）",
    "DEV-002": "BOT（特许经营）",
    "DEV-003": "特许经营（BOT）",
    "DEV-004": "特许经营/BOT",
    "DEV-005": "PPP+EPC",
    "DEV-006": "合资经营",
    "DEV-007": "BOT",
    "DEV-008": "股权合作",
}


def _catalog() -> list[dict[str, Any]]:
    out = []
    for i, rec in enumerate(dev_records()[:20]):
        rec = dict(rec)
        rec["cooperation"] = COOPS.get(rec["code"], "独资")
        rec["private_capital_cny"] = None  # most real records state none
        rec["published_on"] = f"{2022 + i % 3}-05-10"
        rec["batch"] = f"{2022 + i % 3}-1"
        out.append(rec)
    out[10]["private_capital_cny"] = 600_000_000
    out[11]["private_capital_cny"] = 200_000_000
    out[12]["summary"] += "项目采用特许经营模式，特许经营期限30年。"
    out[13]["summary"] += "合作期为二十年，期满后移交政府。"
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    tmp: Path = tmp_path_factory.mktemp("real")
    db = new_db(tmp / "db")
    load(db, _catalog(), tmp / "imports")
    eng = SearchEngine(db, tmp / "index")
    eng.open()
    return eng


def _all(engine: SearchEngine, query: str) -> set[str]:
    return set(codes(engine.search(query, k=100)))


@pytest.mark.parametrize(
    ("raw", "modes"),
    [
        ("PPP（BOT）", {"PPP", "BOT"}),
        ("BOT（特许经营）", {"BOT", "特许经营"}),
        ("特许经营/BOT", {"BOT", "特许经营"}),
        ("PPP+EPC", {"PPP", "EPC"}),
        ("合资经营", {"合资"}),
    ],
)
def test_compound_cooperation_values_name_each_mode(raw: str, modes: set[str]) -> None:
    assert modes <= coop_parts(raw)


def test_mode_filter_finds_every_record_naming_the_mode(engine: SearchEngine) -> None:
    assert _all(engine, "BOT方式的项目") == {"DEV-001", "DEV-002", "DEV-003", "DEV-004", "DEV-007"}
    assert _all(engine, "PPP项目") == {"DEV-001", "DEV-005"}
    assert {"DEV-006", "DEV-008"} <= _all(engine, "适合民营企业参股的项目")


def test_published_year_filter(engine: SearchEngine) -> None:
    records = {r["code"]: r for r in _catalog()}
    want = {c for c, r in records.items() if r["published_on"].startswith("2024")}
    assert _all(engine, "2024年发布的项目") == want
    assert _all(engine, "projects published in 2024") == want
    assert engine.search("2024年发布的项目").understanding.published_year == 2024


def test_term_filter_uses_the_term_the_record_states(engine: SearchEngine) -> None:
    c30, c20 = _catalog()[12]["code"], _catalog()[13]["code"]
    # the dev summaries themselves state "特许期30年" (DEV-018) and "合作期25年" (DEV-017)
    assert _all(engine, "合作期30年的项目") == {c30, "DEV-018"}
    assert _all(engine, "特许经营期20年以上的项目") == {c30, c20, "DEV-017", "DEV-018"}
    assert _all(engine, "合作期不超过25年的项目") == {c20, "DEV-017"}


def test_private_capital_filter_answers_with_the_projects_that_state_it(
    engine: SearchEngine,
) -> None:
    big = _catalog()[10]["code"]
    assert codes(engine.search("拟引入民间资本超过5亿的项目", k=100)) == [big]
    assert _all(engine, "民间资本超过1亿的项目") == {big, _catalog()[11]["code"]}


def test_sector_words_do_not_fire_inside_unrelated_names(tmp_path: Path) -> None:
    records = [dict(r) for r in dev_records()[:12]]
    park = dict(records[3], code="REAL-001", name="太原半导体生态科技港", industry="半导体")
    green = dict(records[4], code="REAL-002", name="汾河流域生态环境治理项目", industry="生态环保")
    green["summary"] = "流域水环境综合治理、污水处理厂提标改造和河道生态修复。"
    db = new_db(tmp_path / "db")
    load(db, [*records, park, green], tmp_path / "imports")
    eng = SearchEngine(db, tmp_path / "index")
    eng.open()
    from index.understanding.taxonomy import load_taxonomy

    tax = load_taxonomy()
    env = {k for k in tax.expand("环保")}
    state = eng._state
    assert state is not None
    assert not env & set(state.records[state.code_to_id["REAL-001"]].sectors)
    got = codes(eng.search("我想投资环保方面的项目", k=5))
    assert got[0] == "REAL-002" and "REAL-001" not in got
