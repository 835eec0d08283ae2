"""The user side of the in-memory Bot API (bot.local.api): known users, their private chats,
messages and files, and the updates users cause (messages, documents, button presses, inline
queries)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from bot.local.apirules import BotAPIError


@dataclass
class StoredFile:
    """A file a user sent or the bot uploaded, served by getFile and the download path."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    size_known: bool = True  # Telegram does not always report a file's size


@dataclass(kw_only=True)
class LocalChats:
    """Users, chats, messages and files of one bot, kept in memory."""

    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, int] = field(default_factory=dict)

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str = "Investor",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Make a user known (they have started the bot), as Telegram user JSON."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def _user(self, user_id: int) -> dict[str, Any]:
        return self.users.get(user_id) or self.add_user(user_id)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        user = self.users.get(chat_id)
        if user is None:
            raise BotAPIError(400, "Bad Request: chat not found")
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def user_message(self, user_id: int, text: str) -> dict[str, Any]:
        """The update for `user_id` sending `text` in their private chat with the bot."""
        user = self._user(user_id)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user_id),
            "from": user,
            "chat": self._chat(user_id),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self.messages[(user_id, message["message_id"])] = message
        return {"update_id": next(self._ids), "message": message}

    def user_document(
        self,
        user_id: int,
        file_name: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
        size_known: bool = True,
    ) -> dict[str, Any]:
        """The update for `user_id` sending a file (kept for getFile and download); without
        `size_known` neither the update nor getFile reports its size."""
        stored = self.store_file(content, file_name=file_name, mime_type=mime_type)
        stored.size_known = size_known
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user_id),
            "from": self._user(user_id),
            "chat": self._chat(user_id),
            "date": int(time.time()),
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                **({"file_size": len(content)} if size_known else {}),
            },
        }
        if caption:
            message["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split()[0])
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": length}
                ]
        return {"update_id": next(self._ids), "message": message}

    def callback(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """The update for `user_id` pressing the button with `data` under a bot message."""
        message = self.messages.get((user_id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {user_id}")
        query = {
            "id": str(next(self._ids) * 7919),
            "from": self._user(user_id),
            "message": message,
            "chat_instance": str(user_id * 31),
            "data": data,
        }
        return {"update_id": next(self._ids), "callback_query": query}

    def inline_query(self, user_id: int, query: str, offset: str = "") -> dict[str, Any]:
        """The update for `user_id` typing `@bot query` in any chat."""
        inline = {
            "id": str(next(self._ids) * 104729),
            "from": self._user(user_id),
            "query": query,
            "offset": offset,
            "chat_type": "private",
        }
        return {"update_id": next(self._ids), "inline_query": inline}

    def store_file(
        self, content: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep a file so getFile and the download path can serve it."""
        n = next(self._ids)
        stored = StoredFile(
            file_id=f"BQACAgIAAxkB{n:08d}",
            file_unique_id=f"AgAD{n:04d}",
            file_path=f"documents/file_{n}{_suffix(file_name)}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def download(self, file_path: str) -> bytes:
        """The bytes at /file/bot<token>/<file_path>."""
        for stored in self.files.values():
            if stored.file_path == file_path:
                return stored.content
        raise BotAPIError(404, "Not Found")


def _suffix(file_name: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[-1]
    return ""
