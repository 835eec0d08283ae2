"""Wording of the domain's answers (index.results.Answer) from the locale files.

One renderer serves the chat (HTML, escaped) and `tuijie ask` (plain text).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.views.i18n import base_lang, is_traditional, script, t
from bot.views.render import esc, region_label
from catalog.models import ProjectPublic
from index.results import Answer
from index.understanding.money import format_cny
from index.understanding.regions import province_of


def answer_lang(answer: Answer) -> str:
    """The language of the reply: the question's, traditional Chinese for a traditional one."""
    if answer.lang == "zh" and is_traditional(answer.question):
        return "zh-hant"
    return answer.lang


def project_name(lang: str, p: ProjectPublic) -> str:
    return p.name_en if base_lang(lang) == "en" and p.name_en else script(lang, p.name)


def place(lang: str, region: str | None) -> str:
    """A region as written; in English followed by its province's English name."""
    if not region:
        return ""
    province = province_of(region) if base_lang(lang) == "en" else None
    return f"{region} ({region_label(lang, province)})" if province else script(lang, region)


def _list_lines(lang: str, answer: Answer, quote: Callable[[object], str]) -> list[str]:
    lines = []
    for i, p in enumerate(answer.projects, 1):
        money = format_cny(p.investment_cny, lang) if p.investment_cny else ""
        extra = [x for x in (place(lang, p.region), money) if x]
        sep = "，" if base_lang(lang) == "zh" else ", "
        detail = t(lang, "answer.list.detail", detail=quote(sep.join(extra))) if extra else ""
        lines.append(f"{i}. {quote(project_name(lang, p))}{detail}")
    return lines


def render_answer_text(answer: Answer, lang: str | None = None, *, html: bool = False) -> str:
    """The answer in `lang` (default: the question's), as HTML-safe text when `html`."""
    lang = lang or answer_lang(answer)

    def quote(text: object) -> str:
        return esc(text) if html else str(text)

    if answer.kind == "none":
        if answer.notice == "unknown_project":
            return t(
                lang, "answer.none.unknown_project", mention=quote(script(lang, answer.value or ""))
            )
        return t(lang, f"answer.none.{answer.notice or 'no_match'}")
    if answer.kind == "list":
        head = t(lang, "answer.list", total=answer.total or len(answer.projects))
        if answer.which:
            head = t(lang, "answer.which") + head
        return "\n".join([head, *_list_lines(lang, answer, quote)])
    p = answer.projects[0]
    name = quote(project_name(lang, p))
    if not answer.stated:
        what = t(lang, f"answer.what.{answer.fact or answer.field}")
        lines = [t(lang, "answer.not_stated", name=name, what=what)]
        if p.contact:
            lines.append(t(lang, "answer.offer_contact", contact=quote(script(lang, p.contact))))
        else:
            lines.append(t(lang, "answer.offer_details"))
    elif answer.fact == "yes_no":  # no figure: the sentence is the answer
        sentence = quote(script(lang, answer.sentence or ""))
        lines = [t(lang, "answer.quote", name=name, sentence=sentence)]
    elif answer.field == "summary":
        lines = [
            t(
                lang,
                "answer.fact",
                name=name,
                value=quote(script(lang, answer.value or "")),
                sentence=quote(script(lang, answer.sentence or "")),
            )
        ]
    else:
        value = place(lang, answer.value) if answer.field == "region" else answer.value
        lines = [
            t(
                lang,
                f"answer.field.{answer.field}",
                name=name,
                value=quote(script(lang, value or "")),
            )
        ]
    if answer.others:
        sep = "、" if base_lang(lang) == "zh" else "; "
        names = sep.join(quote(project_name(lang, o)) for o in answer.others)
        lines.append(t(lang, "answer.several", names=names, name=name))
    return "\n".join(lines)
