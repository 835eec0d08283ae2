"""HTML rendering of projects for Telegram: cards, details, keyboards, long-message splitting.

All catalog text is html.escape'd (parse_mode HTML) and, for "zh-hant", converted to traditional.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.local.apirules import MAX_TEXT, utf16_len
from bot.views.i18n import base_lang, has_key, script, t
from bot.views.links import share_url
from catalog.models import ProjectPublic
from index.match import Profile, Reason
from index.understanding.money import format_cny

PAGE_SIZE = 5
QUOTE_CHARS = 100  # a user's text is echoed back at most this long


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` cut to at most `limit` characters, ending in … when it was cut (not escaped)."""
    text = " ".join(text.split()) if len(text) > limit else text
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def esc(text: object) -> str:
    """Text made safe for Telegram HTML."""
    return html.escape(str(text), quote=True)


def shown(lang: str, text: str | None) -> str:
    """Catalog text as displayed in `lang` (script-converted and escaped)."""
    return esc(script(lang, text)) if text else t(lang, "value.none")


def value_label(lang: str, value: str | None) -> str:
    """A catalog value (cooperation mode, stage...) in `lang` when the catalogs know it."""
    if not value:
        return t(lang, "value.none")
    key = f"value.{value}"
    return esc(t(lang, key)) if has_key(key) else shown(lang, value)


def money(lang: str, amount: float | None) -> str:
    """An amount in 亿元/万元 or million/billion yuan."""
    return esc(script(lang, format_cny(amount, base_lang(lang))))


def title(lang: str, project: ProjectPublic) -> str:
    """The project's name in `lang` (the English name for "en" when there is one), escaped."""
    if base_lang(lang) == "en" and project.name_en:
        return esc(project.name_en)
    return shown(lang, project.name)


def plain_title(lang: str, project: ProjectPublic) -> str:
    """The project's name in `lang`, not escaped (for button labels and share texts)."""
    if base_lang(lang) == "en" and project.name_en:
        return project.name_en
    return script(lang, project.name)


def industry_sector(industry: str) -> str | None:
    """The taxonomy sector that IS this industry (same name, or a term of exactly one sector)."""
    from index.understanding.taxonomy import load_taxonomy
    from index.understanding.text import normalize

    taxonomy = load_taxonomy()
    wanted = industry.strip().lower()
    for sector in taxonomy.sectors:
        if wanted in (sector.zh.lower(), sector.en.lower()):
            return sector.key
    keys = taxonomy.term_sectors.get(normalize(industry)) or []
    return keys[0] if len(keys) == 1 else None


def industry_label(lang: str, industry: str | None) -> str:
    """A project's own industry: in English the taxonomy's name for exactly that sector (escaped).

    Never a narrower or related sector: 新材料 is "New materials", not "Batteries"; an industry
    the taxonomy has no sector for is shown as written.
    """
    if not industry:
        return ""
    if base_lang(lang) == "en":
        key = industry_sector(industry)
        if key:
            return esc(sector_label(lang, key))
    return shown(lang, industry)


def shown_region(lang: str, region: str | None) -> str:
    """A project's region; in English followed by the province's English name (escaped)."""
    if not region:
        return ""
    if base_lang(lang) == "en":
        from index.understanding.regions import province_of

        province = province_of(region)
        if province:
            return f"{esc(region)} ({esc(region_label(lang, province))})"
    return shown(lang, region)


def card(lang: str, project: ProjectPublic, n: int | None = None) -> str:
    """A compact card: name, region · sector, money, cooperation · stage · batch."""
    head = f"{n}. " if n is not None else ""
    lines = [f"<b>{head}{title(lang, project)}</b>"]
    place = " · ".join(
        v for v in (shown_region(lang, project.region), industry_label(lang, project.industry)) if v
    )
    if place:
        lines.append(f"📍 {place}")
    amounts = []
    if project.investment_cny is not None:
        amounts.append(t(lang, "card.investment", amount=money(lang, project.investment_cny)))
    if project.private_capital_cny is not None:
        amounts.append(t(lang, "card.private", amount=money(lang, project.private_capital_cny)))
    if amounts:
        lines.append("💰 " + " · ".join(amounts))
    terms = [value_label(lang, v) for v in (project.cooperation, project.stage) if v]
    terms.append(t(lang, "card.batch", batch=shown(lang, project.batch)))
    lines.append("🤝 " + " · ".join(terms))
    return "\n".join(lines)


def details(lang: str, project: ProjectPublic) -> str:
    """Every field of the project, the summary and the contact."""
    lines = [f"<b>{title(lang, project)}</b>"]
    other = project.name if base_lang(lang) == "en" and project.name_en else project.name_en
    if other:
        lines.append(f"<i>{shown(lang, other)}</i>")
    lines.append("")

    def row(key: str, value: str) -> None:
        lines.append(f"<b>{t(lang, key)}</b>: {value}")

    row("field.code", f"<code>{esc(project.code)}</code>")
    row("field.region", shown_region(lang, project.region) or t(lang, "value.none"))
    row("field.industry", industry_label(lang, project.industry) or t(lang, "value.none"))
    row("field.investment", money(lang, project.investment_cny))
    row("field.private_capital", money(lang, project.private_capital_cny))
    row("field.cooperation", value_label(lang, project.cooperation))
    row("field.stage", value_label(lang, project.stage))
    row("field.owner", shown(lang, project.owner))
    row("field.batch", shown(lang, project.batch))
    if project.published_on:
        row("field.published_on", project.published_on.isoformat())
    if project.tags:
        row("field.tags", ", ".join(shown(lang, tag) for tag in project.tags))
    lines.append("")
    lines.append(f"<b>{t(lang, 'field.summary')}</b>")
    if base_lang(lang) == "en" and project.summary_en:
        lines.append(esc(project.summary_en))
        lines.append(f"<i>{shown(lang, project.summary)}</i>")
    else:
        lines.append(shown(lang, project.summary))
    lines.append("")
    row("field.contact", shown(lang, project.contact))
    return "\n".join(lines)


def project_buttons(
    lang: str, project: ProjectPublic, bot_username: str, *, n: int | None = None
) -> list[InlineKeyboardButton]:
    """Details (when n is given), interested, share: one keyboard row for one project."""
    row = []
    if n is not None:
        row.append(
            InlineKeyboardButton(t(lang, "button.details", n=n), callback_data=f"d:{project.id}")
        )
    row.append(InlineKeyboardButton(t(lang, "button.interest"), callback_data=f"i:{project.id}"))
    share_text = t(lang, "details.share_text", name=plain_title(lang, project))
    row.append(
        InlineKeyboardButton(
            t(lang, "button.share"), url=share_url(bot_username, project, share_text)
        )
    )
    return row


def results_keyboard(
    lang: str,
    projects: list[ProjectPublic],
    bot_username: str,
    *,
    first: int,
    back: str | None,
    more: str | None,
) -> InlineKeyboardMarkup:
    """One row per card (details, interested, share) and a paging row (back / more)."""
    rows = [project_buttons(lang, p, bot_username, n=first + i) for i, p in enumerate(projects)]
    nav = []
    if back:
        nav.append(InlineKeyboardButton(t(lang, "button.back"), callback_data=back))
    if more:
        nav.append(InlineKeyboardButton(t(lang, "button.more"), callback_data=more))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def _cut(line: str, limit: int) -> list[str]:
    """Split one over-long line at spaces (or anywhere) without breaking an HTML entity."""
    parts: list[str] = []
    while utf16_len(line) > limit:
        cut = limit
        while utf16_len(line[:cut]) > limit:
            cut -= 1
        space = line.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        amp = line.rfind("&", 0, cut)
        if amp >= 0 and ";" not in line[amp:cut]:
            cut = amp or cut
        parts.append(line[:cut])
        line = line[cut:].lstrip(" ")
    parts.append(line)
    return parts


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, split on line boundaries where possible."""
    if utf16_len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut(line, limit):
            extra = utf16_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = utf16_len(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()]


def sector_label(lang: str, key: str) -> str:
    """A taxonomy sector's name in `lang` (free words are shown as written), not escaped."""
    from index.understanding.taxonomy import load_taxonomy

    label = load_taxonomy().label(key, base_lang(lang))
    return script(lang, label[:1].upper() + label[1:])


def region_label(lang: str, name: str) -> str:
    """A place as people say it: 山西 / Shanxi (not escaped)."""
    from index.understanding.regions import gazetteer

    gaz = gazetteer()
    places = gaz.by_alias.get(name) or []
    if not places:
        return script(lang, name)
    place = places[0]
    if base_lang(lang) == "en" and place.pinyin:
        english = [p for p in place.pinyin if " " in p] or list(place.pinyin)
        return english[0].title()
    return script(lang, place.label)


def reason_text(lang: str, reason: Reason) -> str:
    """One localised reason ("行业：新能源", "amount within your range"), escaped."""
    if reason.kind == "industry":
        value = esc(sector_label(lang, reason.value))
    elif reason.kind == "region":
        value = esc(region_label(lang, reason.value))
    elif reason.kind in ("cooperation", "stage"):
        value = value_label(lang, reason.value)
    else:
        value = shown(lang, reason.value)
    return t(lang, f"reason.{reason.kind}", value=value)


def ticket_text(lang: str, low: float | None, high: float | None) -> str:
    """A ticket range such as "1亿元 – 5亿元", "at least 3000万元"."""
    if low is not None and high is not None:
        return t(lang, "profile.ticket_range", low=money(lang, low), high=money(lang, high))
    if low is not None:
        return t(lang, "profile.ticket_min", low=money(lang, low))
    if high is not None:
        return t(lang, "profile.ticket_max", high=money(lang, high))
    return t(lang, "profile.any")


def profile_summary(lang: str, profile: Profile) -> str:
    """The investor's profile, one line per part."""
    sep = "、" if base_lang(lang) == "zh" else ", "
    any_ = t(lang, "profile.any")

    def joined(values: list[str], label: Callable[[str], str]) -> str:
        return sep.join(label(v) for v in values) if values else any_

    lines = [t(lang, "profile.title")]
    parts = (
        ("profile.sectors", joined(profile.sectors, lambda v: esc(sector_label(lang, v)))),
        ("profile.regions", joined(profile.regions, lambda v: esc(region_label(lang, v)))),
        ("profile.ticket", ticket_text(lang, profile.ticket_min_cny, profile.ticket_max_cny)),
        ("profile.cooperation", joined(profile.cooperation_modes, lambda v: value_label(lang, v))),
        ("profile.stages", joined(profile.stages, lambda v: value_label(lang, v))),
    )
    for key, value in parts:
        lines.append(t(lang, "profile.line", label=t(lang, key), value=value))
    return "\n".join(lines)
