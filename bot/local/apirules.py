"""What the Bot API checks and the bot could get wrong: HTML markup, lengths, buttons.

Used by the in-memory LocalBotAPI (chat mode, tests) and by rendering (MAX_TEXT, utf16_len).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

MAX_TEXT = 4096
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


class BotAPIError(Exception):
    """An error answer of the Bot API (status code, description, optional parameters)."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def parse_html(text: str) -> str:
    """Validate Telegram-HTML like the Bot API does and return the plain text it shows."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            offset = len(text[:i].encode())
            if not m:
                raise BotAPIError(
                    400, f"Bad Request: can't parse entities: Unexpected character at {offset}"
                )
            closing, tag = m.group(1), m.group(2).lower()
            if tag not in ALLOWED_TAGS:
                raise BotAPIError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" '
                    f"at byte offset {offset}",
                )
            if closing:
                if not stack or stack[-1] != tag:
                    raise BotAPIError(
                        400,
                        f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                        f'{offset}, expected "</{stack[-1] if stack else ""}>", found "</{tag}>"',
                    )
                stack.pop()
            else:
                stack.append(tag)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                offset = len(text[:i].encode())
                raise BotAPIError(
                    400,
                    "Bad Request: can't parse entities: Character '&' is reserved and must be "
                    f"escaped with the preceding '\\' at byte offset {offset}",
                )
            out.append(unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            out.append(ch)  # Telegram tolerates a bare '>'
            i += 1
        else:
            out.append(ch)
            i += 1
    if stack:
        raise BotAPIError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to "
            f'"{stack[-1]}"',
        )
    return "".join(out)


def check_button(button: dict[str, Any]) -> None:
    if not button.get("text"):
        raise BotAPIError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    kinds = [k for k in ("callback_data", "url", "switch_inline_query",
                         "switch_inline_query_current_chat") if k in button]  # fmt: skip
    if len(kinds) != 1:
        raise BotAPIError(400, "Bad Request: can't parse inline keyboard button")
    if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
        raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
        raise BotAPIError(400, "Bad Request: BUTTON_URL_INVALID")
