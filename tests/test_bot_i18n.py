"""Message catalogs: both languages complete and consistent; traditional Chinese derived."""

from __future__ import annotations

import pytest

from bot.views.i18n import catalog, is_traditional, lang_from_code, placeholders, t, to_traditional


def test_en_and_zh_have_the_same_keys() -> None:
    en, zh = catalog("en"), catalog("zh")
    assert set(en) == set(zh), (sorted(set(en) - set(zh)), sorted(set(zh) - set(en)))


@pytest.mark.parametrize("key", sorted(catalog("en")))
def test_placeholders_match_between_languages(key: str) -> None:
    assert placeholders(catalog("en")[key]) == placeholders(catalog("zh")[key]), key


def test_every_message_is_non_empty() -> None:
    for lang in ("en", "zh"):
        assert all(v.strip() for v in catalog(lang).values()), lang


def test_language_code_picks_zh_for_any_chinese_variant() -> None:
    assert lang_from_code("zh-hans") == "zh"
    assert lang_from_code("zh-TW") == "zh"
    assert lang_from_code("en-GB") == "en"
    assert lang_from_code("ru") == "en"
    assert lang_from_code(None) == "en"


def test_traditional_is_the_zh_text_converted() -> None:
    zh = t("zh", "forget.confirm")
    hant = t("zh-hant", "forget.confirm")
    assert hant == to_traditional(zh)
    assert hant != zh and "刪除" in hant


def test_traditional_detection() -> None:
    assert is_traditional("貝爾油庫擴建項目需要多少民間資本")
    assert not is_traditional("贝尔油库扩建项目需要多少民间资本")
    assert not is_traditional("solar power")


def test_unknown_key_is_visible_not_fatal() -> None:
    assert t("en", "no.such.key") == "no.such.key"
