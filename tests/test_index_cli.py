"""`tuijie search / ask / eval / reindex` and the import hook that refreshes the index."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from index_support import dev_dir, dev_records, write_jsonl

from bot.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUIJIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TUIJIE_DATABASE_URL", raising=False)
    monkeypatch.delenv("TUIJIE_EMBEDDING_MODEL", raising=False)
    return tmp_path / "data"


def test_eval_prints_the_figures(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(dev_dir()), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    queries = (dev_dir() / "queries.jsonl").read_text(encoding="utf-8").strip().splitlines()
    assert figures["queries"] == len(queries) and figures["leaks"] == 0
    assert figures["recall@5"] >= 0.95 and figures["mrr@10"] >= 0.93
    answers = (dev_dir() / "answers.jsonl").read_text(encoding="utf-8").strip().splitlines()
    assert figures["answers"] == len(answers) and figures["answers_right"] >= 22  # scored
    assert not (data_dir / "index").exists()  # the user's catalog and index are untouched


def test_eval_legs_prints_each_leg_and_the_fusion(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(dev_dir()), "--legs", "--json"]) == 0
    legs = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(legs) == {"lexical", "sector", "vectors", "fused"}
    assert legs["vectors"]["recall@5"] >= 0.75
    assert legs["fused"]["mrr@10"] >= max(
        legs[n]["mrr@10"] for n in ("lexical", "sector", "vectors")
    )
    assert not (data_dir / "index").exists()  # the user's catalog and index are untouched


def test_eval_scores_answers_and_refuses_a_bad_answers_file(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    write_jsonl(folder / "catalog.jsonl", dev_records())
    write_jsonl(folder / "queries.jsonl", [{"id": "q", "query": "光伏", "relevant": ["DEV-006"]}])
    right = {"question": "阜阳垃圾发电特许期是多少年", "project": "DEV-018", "expect_any": ["30年"]}
    wrong = {"question": "阜阳垃圾发电特许期是多少年", "project": "DEV-018", "expect_any": ["31年"]}
    write_jsonl(folder / "answers.jsonl", [right, wrong])
    assert main(["eval", str(folder), "-v"]) == 0
    out = capsys.readouterr().out
    assert "answers   1/2" in out and "expected one of ['31年']" in out
    write_jsonl(folder / "answers.jsonl", [{"question": "x", "expect_any": []}])
    assert main(["eval", str(folder)]) == 2
    assert "answers.jsonl line 1" in capsys.readouterr().err


def test_search_and_ask_on_an_empty_catalog(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "光伏"]) == 1
    assert "empty" in capsys.readouterr().err
    assert main(["ask", "光伏项目有哪些"]) == 1


def test_import_search_ask_reindex(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    records = dev_records()
    first = write_jsonl(tmp_path / "first.jsonl", records[:20])
    assert main(["import", str(first)]) == 0
    assert main(["search", "冷链物流", "--json", "--k", "3"]) == 0  # builds the index
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["results"][0]["code"] == "DEV-015"
    assert {"code", "name", "score"} <= set(out["results"][0])

    # an import into a catalog that has an index refreshes it (no reindex needed)
    second = write_jsonl(tmp_path / "second.jsonl", records[20:])
    assert main(["import", str(second)]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("冷链物流\n\n湛江的冷链项目\n"))
    assert main(["search", "--k", "2"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    # one output line per input line, the blank one included, so the two can be zipped
    assert [x["query"] for x in lines] == ["冷链物流", "", "湛江的冷链项目"]
    assert lines[1]["results"] == [] and lines[1]["notice"] == "empty_query"
    assert lines[2]["results"][0]["code"] == "DEV-036"
    # amounts are written as the exchange format writes them: integers when integral
    assert all(isinstance(r["investment_cny"], int) for x in lines for r in x["results"]), lines

    assert main(["search", "河南有哪些项目"]) == 0
    table = capsys.readouterr().out
    assert "DEV-023" in table and "河南省" in table

    assert main(["ask", "叉车厂要投多少钱啊", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["projects"] == ["DEV-030"] and "8亿元" in answer["answer"]

    assert main(["reindex"]) == 0
    assert "indexed 36" in capsys.readouterr().out
