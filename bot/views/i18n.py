"""Message catalogs: `t(lang, key, **kwargs)` over bot/views/locales/<lang>.json and <lang>.*.json.

Languages are "zh" (simplified), "en", and "zh-hant": the zh strings converted with OpenCC s2t.
Every user-facing text lives in the JSON catalogs; handlers only name keys.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

from opencc import OpenCC

LOCALES = Path(__file__).with_name("locales")
BASE_LANGS = ("zh", "en")
LANGS = ("zh", "zh-hant", "en")
DEFAULT_LANG = "en"
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
_HAN = re.compile(r"[\u3400-\u9fff]")
_log = logging.getLogger(__name__)
_lock = threading.Lock()


@lru_cache(maxsize=4)
def catalog(lang: str) -> dict[str, str]:
    """The merged catalog of a base language: `<lang>.json` then `<lang>.*.json` by name."""
    merged: dict[str, str] = {}
    for path in [LOCALES / f"{lang}.json", *sorted(LOCALES.glob(f"{lang}.*.json"))]:
        if path.exists():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders a template uses."""
    return set(_PLACEHOLDER.findall(template))


@lru_cache(maxsize=2)
def _converter(config: str) -> OpenCC:
    return OpenCC(config)


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Simplified -> traditional Chinese (OpenCC s2t)."""
    with _lock:
        return str(_converter("s2t").convert(text))


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s)."""
    with _lock:
        return str(_converter("t2s").convert(text))


def has_chinese(text: str) -> bool:
    """True if the text contains Han characters."""
    return bool(_HAN.search(text))


def is_traditional(text: str) -> bool:
    """True if the text is written in traditional characters (t2s would change it)."""
    return has_chinese(text) and to_simplified(text) != text


_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?")
# a word with a lower-case letter: "solar", "Shanxi" (not a project code such as DEV-001)
_LATIN_WORD = re.compile(r"\b(?=[A-Za-z]*[a-z])[A-Za-z]{2,}\b")


def text_lang(text: str | None) -> str | None:
    """The language a message is written in: "zh", "zh-hant" or "en"; None without words.

    A leading /command is not part of the message's language (/search 光伏 is Chinese,
    a bare /start has no words, nor has the payload of a /start deep link, which the bot
    wrote). Any Han character makes the message Chinese.
    """
    text = (text or "").strip()
    if text.startswith("/start"):
        return None
    words = _COMMAND.sub("", text, count=1)
    if has_chinese(words):
        return "zh-hant" if is_traditional(words) else "zh"
    return "en" if _LATIN_WORD.search(words) else None


def base_lang(lang: str | None) -> str:
    """ "zh" for any Chinese variant, else "en"."""
    return "zh" if (lang or "").lower().startswith("zh") else "en"


def lang_from_code(language_code: str | None) -> str:
    """A Telegram language_code -> our language: zh* -> "zh", anything else -> "en"."""
    return base_lang(language_code)


def normalize_lang(lang: str | None) -> str:
    """One of LANGS (unknown -> the default)."""
    return lang if lang in LANGS else (base_lang(lang) if lang else DEFAULT_LANG)


def script(lang: str, text: str) -> str:
    """Catalog text as shown in `lang`: converted to traditional for "zh-hant"."""
    return to_traditional(text) if lang == "zh-hant" and has_chinese(text) else text


def t(lang: str, key: str, **kwargs: object) -> str:
    """The message `key` in `lang`, formatted with `kwargs` (values are inserted as given)."""
    base = base_lang(lang)
    template = catalog(base).get(key)
    if template is None:
        template = catalog(DEFAULT_LANG).get(key)
        if template is None:
            _log.error("missing message key %r", key)
            return key
    text = template.format(**kwargs) if kwargs else template
    return script(lang, text)


def has_key(key: str) -> bool:
    """True if `key` exists in the catalogs."""
    return key in catalog(DEFAULT_LANG)
