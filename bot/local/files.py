"""The terminal chat's files: what the bot sends (documents, photos) is saved into a folder,
and `/import PATH` stands for sending that file to the bot as a document."""

from __future__ import annotations

import mimetypes
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.local.api import Call, LocalBotAPI

DEFAULT_FOLDER = Path("tuijie-files")  # in the directory the chat was started from
MAX_UPLOAD = 20 * 1024 * 1024  # Telegram hands a bot the files users send up to 20 MB
USAGE = "usage: /import PATH [CAPTION], e.g. /import catalog.csv or /import 清单.xlsx 2025-1"


class UploadError(ValueError):
    """A `/import PATH` that names no file the bot could be sent."""


def _free(path: Path) -> Path:
    """`path`, or `name-2.ext`, `name-3.ext`… when a file of that name is already there."""
    n = 1
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


@dataclass
class FileSaver:
    """Writes each file the bot sends into `folder` (created at the first file)."""

    api: LocalBotAPI
    folder: Path = DEFAULT_FOLDER

    def save(self, call: Call) -> Path | None:
        """The file of a successful sendDocument / sendPhoto call, written; its path."""
        if call.error is not None or not isinstance(call.result, dict):
            return None
        if call.method == "sendDocument":
            meta: dict[str, Any] = call.result["document"]
        elif call.method == "sendPhoto":
            meta = call.result["photo"][-1]
        else:
            return None
        stored = self.api.files.get(meta["file_id"])
        if stored is None:
            return None
        name = Path(meta.get("file_name") or stored.file_name or "").name
        if call.method == "sendPhoto" or name in ("", ".", ".."):
            suffix = Path(stored.file_name or "").suffix or ".png"
            name = f"{call.method[4:].lower()}-{call.result['message_id']}{suffix}"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = _free(self.folder / name)
        path.write_bytes(stored.content)
        return path


def upload(api: LocalBotAPI, user_id: int, argument: str) -> dict[str, Any]:
    """The update for `/import PATH [CAPTION]`: the user sends the file as a document, with
    the rest of the line as its caption (a sheet's batch). UploadError when it cannot be."""
    try:
        words = shlex.split(argument)
    except ValueError:
        raise UploadError(f"a quotation mark is not closed; {USAGE}") from None
    if not words:
        raise UploadError(USAGE)
    path = Path(words[0]).expanduser()
    if not path.is_file():
        raise UploadError(f"no such file: {path}; nothing was sent")
    if path.stat().st_size > MAX_UPLOAD:
        raise UploadError(
            f"{path} is larger than the 20 MB Telegram lets a bot download; nothing was sent. "
            f"Import it on the server instead: tuijie import {shlex.quote(str(path))}"
        )
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    caption = " ".join(words[1:]) or None
    return api.user_document(user_id, path.name, path.read_bytes(), caption=caption, mime_type=mime)
