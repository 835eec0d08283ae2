"""An in-memory Telegram Bot API: answers like Telegram and records every call.

Used by `tuijie chat` (the bot in a terminal) and by the tests (the recording request object and
the fake HTTP server). It validates what Telegram validates and the bot could get wrong: HTML
markup, message length, button data, unknown chats, "message is not modified". The rules live
in bot/local/apirules.py, the users' side (chats, messages, files, the updates users cause) in
bot/local/chats.py; this module holds the methods, the call records and fault injection.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.local.apirules import (
    ALLOWED_TAGS,
    MAX_TEXT,
    BotAPIError,
    check_button,
    parse_html,
    utf16_len,
)
from bot.local.chats import LocalChats

BOT_ID = 7_000_000_001
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
__all__ = ["ALLOWED_TAGS", "MAX_TEXT", "BotAPIError", "Call", "Fault", "LocalBotAPI",
           "parse_html", "utf16_len"]  # fmt: skip


@dataclass
class Call:
    """One Bot API call the bot made, with what it was answered."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when the call arrived

    @property
    def text(self) -> str | None:
        """The message text as sent (HTML source)."""
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    @property
    def chat_id(self) -> int | None:
        """The chat the call was addressed to."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard rows sent with the call (empty if none)."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [list(row) for row in rows]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button, row by row."""
        return [button for row in self.keyboard for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        """The first button whose label contains `label_part`."""
        for button in self.buttons:
            if label_part in button["text"]:
                return button
        raise LookupError(f"no button containing {label_part!r} in {self.buttons}")


@dataclass
class Fault:
    """A fault to inject: answer `count` calls of `method` with an error instead."""

    method: str
    kind: int  # 429, 500 or 403
    count: int = 1
    chat: Callable[[int | None], bool] | None = None
    retry_after: int = 1

    def error(self) -> BotAPIError:
        """The error Telegram would answer."""
        if self.kind == 429:
            return BotAPIError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.kind == 403:
            return BotAPIError(403, "Forbidden: bot was blocked by the user")
        return BotAPIError(500, "Internal Server Error")


@dataclass
class LocalBotAPI(LocalChats):
    """The Bot API methods over one bot's chats (bot.local.chats), every call recorded."""

    username: str = "tuijie_local_bot"
    first_name: str = "Tuijie"
    bot_id: int = BOT_ID
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.first_name,
                "username": self.username}  # fmt: skip

    # ---- the bot side: methods ---------------------------------------------------------------
    def call(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str | None, bytes, str | None]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call as (HTTP status, JSON body); records it."""
        record = Call(method, dict(params))
        self.calls.append(record)
        try:
            self._inject_fault(method, params)
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise BotAPIError(404, "Not Found: method not found")
            result = handler(params, files or {})
        except BotAPIError as exc:
            record.error = exc.description
            return exc.status, exc.body()
        record.result = result
        return 200, {"ok": True, "result": result}

    def _inject_fault(self, method: str, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        chat = int(chat_id) if chat_id is not None else None
        for fault in self.faults:
            if (
                fault.count > 0
                and fault.method == method
                and (fault.chat is None or fault.chat(chat))
            ):
                fault.count -= 1
                raise fault.error()

    def _rendered(self, params: dict[str, Any], key: str = "text") -> str:
        text = params.get(key)
        if not isinstance(text, str) or not text.strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        plain = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if not plain.strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise BotAPIError(400, "Bad Request: message is too long")
        return plain

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                check_button(button)
        return markup if "inline_keyboard" in markup else None

    def _message(self, chat_id: int, text: str, markup: dict[str, Any] | None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _m_getme(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": True}  # fmt: skip

    def _m_deletewebhook(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _m_getupdates(self, params: dict[str, Any], files: Any) -> list[Any]:
        return []

    def _m_setmycommands(self, params: dict[str, Any], files: Any) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not _COMMAND.match(command.get("command", "")):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code") or "")] = list(commands)
        return True

    def _m_getmycommands(self, params: dict[str, Any], files: Any) -> list[Any]:
        scope = (params.get("scope") or {}).get("type", "default")
        return self.commands.get((scope, params.get("language_code") or ""), [])

    def _m_sendmessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return self._message(chat_id, self._rendered(params), self._markup(params))

    def _m_sendchataction(self, params: dict[str, Any], files: Any) -> bool:
        self._chat(int(params["chat_id"]))
        return True

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise BotAPIError(400, "Bad Request: MESSAGE_ID_INVALID")
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise BotAPIError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        return message

    def _m_editmessagetext(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._edit_target(params)
        text = self._rendered(params)
        markup = self._markup(params)
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise BotAPIError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    def _m_editmessagereplymarkup(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._edit_target(params)
        markup = self._markup(params)
        if markup == message.get("reply_markup"):
            raise BotAPIError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    def _m_deletemessage(self, params: dict[str, Any], files: Any) -> bool:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if self.messages.pop(key, None) is None:
            raise BotAPIError(400, "Bad Request: message to delete not found")
        return True

    def _m_answercallbackquery(self, params: dict[str, Any], files: Any) -> bool:
        if len(str(params.get("text") or "")) > 200:
            raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_answerinlinequery(self, params: dict[str, Any], files: Any) -> bool:
        results = params.get("results") or []
        if len(results) > 50:
            raise BotAPIError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(r.get("id")) for r in results]
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise BotAPIError(400, "Bad Request: RESULT_ID_DUPLICATE")
        if len(str(params.get("next_offset") or "").encode()) > 64:
            raise BotAPIError(400, "Bad Request: NEXT_OFFSET_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._rendered(content, "message_text")
            for row in (result.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    check_button(button)
        return True

    def _m_getfile(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise BotAPIError(400, "Bad Request: invalid file_id")
        size = {"file_size": len(stored.content)} if stored.size_known else {}
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            **size,
            "file_path": stored.file_path,
        }

    def _m_senddocument(
        self, params: dict[str, Any], files: dict[str, tuple[str | None, bytes, str | None]]
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if not files:
            raise BotAPIError(400, "Bad Request: there is no document in the request")
        file_name, content, mime = next(iter(files.values()))
        stored = self.store_file(content, file_name=file_name, mime_type=mime)
        message = self._message(chat_id, "", self._markup(params))
        del message["text"]
        message["document"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                               "file_name": file_name, "mime_type": mime,
                               "file_size": len(content)}  # fmt: skip
        if params.get("caption"):
            message["caption"] = (
                parse_html(params["caption"])
                if params.get("parse_mode") == "HTML"
                else params["caption"]
            )
        return message

    def _m_sendphoto(
        self, params: dict[str, Any], files: dict[str, tuple[str | None, bytes, str | None]]
    ) -> dict[str, Any]:
        """Like Telegram: a PNG or JPEG upload of at most 10 MB, sides summing to 10000 or less,
        a ratio of at most 20; the message holds PhotoSizes (here one, the original)."""
        chat_id = int(params["chat_id"])
        if not files:
            raise BotAPIError(400, "Bad Request: there is no photo in the request")
        file_name, content, mime = next(iter(files.values()))
        width, height = image_size(content)
        if len(content) > 10 * 1024 * 1024:
            raise BotAPIError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise BotAPIError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption = params.get("caption") or ""
        if len(parse_html(caption) if params.get("parse_mode") == "HTML" else caption) > 1024:
            raise BotAPIError(400, "Bad Request: message caption is too long")
        stored = self.store_file(content, file_name=file_name, mime_type=mime)
        message = self._message(chat_id, "", self._markup(params))
        del message["text"]
        message["photo"] = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(content),
            }
        ]
        if caption:
            message["caption"] = (
                parse_html(caption) if params.get("parse_mode") == "HTML" else caption
            )
        return message

    # ---- reading what happened ----------------------------------------------------------------
    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        """Successful calls, optionally of one method and to one chat."""
        return [
            c
            for c in self.calls
            if c.error is None
            and (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
        ]


def image_size(content: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG; BotAPIError(400) for anything else, as Telegram says."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR":
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                break
            marker, length = content[i + 1], int.from_bytes(content[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h = int.from_bytes(content[i + 5 : i + 7], "big")
                return int.from_bytes(content[i + 7 : i + 9], "big"), h
            i += 2 + length
    raise BotAPIError(400, "Bad Request: IMAGE_PROCESS_FAILED")
