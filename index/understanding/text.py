"""Text normalisation and tokenisation for Chinese (simplified/traditional) and English."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
from opencc import OpenCC
from spellchecker import SpellChecker, WordFrequency

_CC = OpenCC("t2s")
_JIEBA_LOCK = threading.Lock()
_JIEBA_READY = False
_EXTRA_WORDS: set[str] = set()

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
WORD_RE = re.compile(r"[a-z0-9][a-z0-9+\-.']*[a-z0-9+]|[a-z0-9]")

EN_STOPWORDS = frozenset(
    """a an the and or of in on at to for from by with about into near over under than
    is are was were be been being do does did have has had will would can could should may
    might must shall i me my we our you your he she it its they them their this that these
    those there here what which who whom whose when where why how any some all no not only
    very more most much many such project projects please tell show find list give want
    looking look need needs invest investing investment investments opportunity
    opportunities china chinese yuan rmb cny get got still already also just long me show
    everything anything something available there're""".split()  # noqa: SIM905
)
ZH_STOPWORDS = frozenset(
    """的 了 吗 呢 啊 吧 呀 嘛 么 哦 和 与 及 或 或者 还是 以及 是 在 有 有没有 没有 有没 有啥 啥
    什么 哪些 哪个 那个 这个 那些 这些 之类 一些 一下 一个 有些 想 想要 要 我 我们 你 你们 请 请问
    帮 帮我 看看 看 找 找找 推荐 推介 项目 项 目 相关 方面 有关 类 类的 可以 能 能够 需要 多少 怎么
    怎样 如何 吗? 投 投资 投资机会 机会 合适 适合 给 跟 对 做 搞 弄 里 里的 中 中的 上 下 都 也
    还 就 很 最 比较 一点 点 些 个 不 呗 啦 嗯 谢谢 好 现在 目前 已经 正在 还在 的话 方向 领域
    情况 信息 资料 介绍 列出 所有 全部 一共 不""".split()  # noqa: SIM905
)
STOPWORDS = EN_STOPWORDS | ZH_STOPWORDS


def _ensure_jieba() -> None:
    """Load jieba's dictionary once, quietly."""
    global _JIEBA_READY
    if _JIEBA_READY:
        return
    with _JIEBA_LOCK:
        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _JIEBA_READY = True


def add_words(words: Iterable[str]) -> None:
    """Teach jieba compound words (taxonomy terms, place names) so they stay whole."""
    _ensure_jieba()
    with _JIEBA_LOCK:
        for word in words:
            if len(word) >= 2 and CJK_RE.search(word) and word not in _EXTRA_WORDS:
                jieba.add_word(word, freq=max(jieba.get_FREQ(word) or 0, 2000))
                _EXTRA_WORDS.add(word)
    tokenize_cached.cache_clear()


def is_known_word(word: str) -> bool:
    """Whether jieba's dictionary (or our additions) holds the word."""
    _ensure_jieba()
    return bool(jieba.get_FREQ(word)) or word in _EXTRA_WORDS


@lru_cache(maxsize=1)
def _english() -> WordFrequency:
    return SpellChecker(language="en", distance=1).word_frequency


def is_english_word(word: str) -> bool:
    """Whether an English dictionary (pyspellchecker's, 160,000 words) holds the lower-case
    word; loaded once (about 0.5 s, 15 MB)."""
    return word in _english()


def dictionary_words(text: str) -> list[str]:
    """A Chinese text cut into jieba's dictionary words (precise mode, no guessing of new
    words): a character that belongs to no dictionary word stands alone."""
    _ensure_jieba()
    return jieba.lcut(text, HMM=False)


def strip_controls(text: str) -> str:
    """Remove control and zero-width characters."""
    return CONTROL_RE.sub(" ", text)


@lru_cache(maxsize=1)
def _convertible() -> frozenset[str]:
    """Characters without which OpenCC's t2s leaves a text as it is.

    Every dictionary entry that changes something holds one of them (a character that
    differs from its conversion, or every character of an entry whose length changes), so a
    text with none of them is already simplified: the pure-Python converter, the slowest
    step of indexing, is skipped for it.
    """
    chars: set[str] = set()
    try:
        groups = _CC._dict_chain_data  # [[(max_len, min_len, {key: value}), ...], ...]
        entries = [e for group in groups for (_, _, table) in group for e in table.items()]
    except (AttributeError, TypeError, ValueError):  # another OpenCC: always convert
        return frozenset()
    for key, value in entries:
        if key == value:
            continue
        if len(key) == len(value):
            chars.update(a for a, b in zip(key, value, strict=True) if a != b)
        else:
            chars.update(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """OpenCC t2s, skipped when no character of `text` could change."""
    convertible = _convertible()
    if convertible and convertible.isdisjoint(text):
        return text
    return str(_CC.convert(text))


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), traditional to simplified, lower case, tidy spaces."""
    text = unicodedata.normalize("NFKC", strip_controls(text))
    text = to_simplified(text).lower()
    return re.sub(r"\s+", " ", text).strip()


def cjk_fraction(text: str) -> float:
    """Share of CJK characters among the letters/digits/CJK characters of `text`."""
    cjk = len(CJK_RE.findall(text))
    other = sum(1 for ch in text if ch.isascii() and ch.isalnum())
    total = cjk + other
    return cjk / total if total else 0.0


def has_content(text: str) -> bool:
    """Whether the text holds any letter, digit or CJK character at all."""
    return any(ch.isalnum() or CJK_RE.match(ch) for ch in text)


def stem(word: str) -> str:
    """A small English stemmer: enough for plural and common verb/noun endings."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("ers", "er"),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + repl
    return word


def english_words(text: str) -> list[str]:
    """Lower-case English words, stemmed, stopwords dropped (`text` already normalised)."""
    out = []
    for word in WORD_RE.findall(text):
        if word in EN_STOPWORDS:
            continue
        out.append(stem(word))
    return out


@lru_cache(maxsize=4096)
def tokenize_cached(text: str) -> tuple[str, ...]:
    """Cached form of `tokenize` for short repeated texts (queries, tags)."""
    return tuple(_tokenize(text))


def tokenize(text: str) -> list[str]:
    """Search tokens of normalised text: jieba search-mode words, CJK bigrams, English stems."""
    if len(text) <= 64:
        return list(tokenize_cached(text))
    return _tokenize(text)


def _tokenize(text: str) -> list[str]:
    _ensure_jieba()
    out: list[str] = []
    for chunk in re.split(r"([\u3400-\u9fff]+)", text):
        if not chunk:
            continue
        if CJK_RE.match(chunk):
            words = jieba.lcut_for_search(chunk, HMM=False)
            for word in words:
                if word in ZH_STOPWORDS:
                    continue
                out.append(word)
            # character bigrams catch compounds jieba splits differently in doc and query
            if len(chunk) >= 2:
                out.extend(
                    "~" + chunk[i : i + 2]
                    for i in range(len(chunk) - 1)
                    if chunk[i : i + 2] not in ZH_STOPWORDS
                )
        else:
            out.extend(english_words(chunk))
    return out
