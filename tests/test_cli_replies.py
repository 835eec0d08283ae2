"""Issue 12, items 3 and 12: the CLI refuses nonsense options, orders its lines, counts in
the right number, and answers a traditional question in traditional (as the bot does)."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_support import dev_dir

from bot.cli import main
from bot.views.i18n import is_traditional


@pytest.fixture
def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUIJIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TUIJIE_DATABASE_URL", raising=False)
    monkeypatch.delenv("TUIJIE_EMBEDDING_MODEL", raising=False)
    assert main(["import", str(dev_dir() / "catalog.jsonl")]) == 0
    return tmp_path / "data"


@pytest.mark.parametrize("k", ["0", "-3", "x"])
def test_search_refuses_k_below_one(
    imported: Path, capsys: pytest.CaptureFixture[str], k: str
) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["search", "光伏", "--k", k])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "--k" in captured.err and "result" not in captured.out


def test_an_empty_question_is_an_error(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", ""]) == 2
    assert "empty question" in capsys.readouterr().err


def test_the_understood_line_comes_first_and_counts_are_singular_or_plural(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    main(["search", "西藏 光伏"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("理解为 / understood:"), lines
    main(["search", "光伏", "--k", "1"])
    out = capsys.readouterr().out
    assert "result(s)" not in out and " results" in out


def test_a_traditional_question_gets_a_traditional_answer(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["ask", "叉車廠要投多少錢啊"]) == 0
    answer = capsys.readouterr().out.strip()
    assert answer and is_traditional(answer), answer
