"""Settings are checked once, at start-up: a bad TUIJIE_ADMIN_IDS stops `tuijie` with one
sentence and a non-zero status before anything runs (it used to pass start-up and then fail
on every message)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.settings import Settings


def test_bad_admin_ids_are_refused_when_the_settings_are_made() -> None:
    with pytest.raises(ValidationError, match="TUIJIE_ADMIN_IDS: 'abc' is not a Telegram user id"):
        Settings(TUIJIE_ADMIN_IDS="12345, abc")
    assert Settings(TUIJIE_ADMIN_IDS="12345, 67890;").admin_ids == frozenset({12345, 67890})


def test_tuijie_stops_with_one_sentence_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    data = tmp_path / "data"
    monkeypatch.setenv("TUIJIE_DATA_DIR", str(data))
    monkeypatch.setenv("TUIJIE_ADMIN_IDS", "12345,@office")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:SECRET-token-value")
    monkeypatch.delenv("TUIJIE_DATABASE_URL", raising=False)
    assert main(["leads"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tuijie: bad setting: TUIJIE_ADMIN_IDS:")
    assert "'@office' is not a Telegram user id" in err
    assert "SECRET" not in err and "Traceback" not in err
    assert not data.exists()
