"""A python-telegram-bot request object answered by an in-memory LocalBotAPI (no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.local.api import Call, LocalBotAPI


def _content(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if hasattr(value, "read"):
        data = value.read()
        return data if isinstance(data, bytes) else str(data).encode()
    return str(value).encode()


class LocalRequest(BaseRequest):
    """Every Bot API call goes to `api`; `on_call` sees each recorded call (terminal printing)."""

    def __init__(self, api: LocalBotAPI, on_call: Callable[[Call], None] | None = None) -> None:
        self.api = api
        self.on_call = on_call

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def stream_file(self, url: str, chunk_size: int) -> AsyncIterator[bytes]:
        """A file download in chunks, as `bot.handlers.admin.downloads` streams it from a server."""
        content = self.api.download(url.split("/file/bot", 1)[1].split("/", 1)[1])
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer the call from the in-memory API."""
        if "/file/bot" in url:
            path = url.split("/file/bot", 1)[1].split("/", 1)[1]
            return 200, self.api.download(path)
        name = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str | None, bytes, str | None]] = {}
        if request_data is not None:
            params = {
                k: v
                for k, v in request_data.parameters.items()
                if not (isinstance(v, str) and v.startswith("attach://"))
            }
            for part, upload in request_data.multipart_data.items():
                file_name, content, *rest = upload
                mime = rest[0] if rest else None
                files[part] = (file_name, _content(content), mime)
        status, body = self.api.call(name, params, files)
        if self.on_call is not None:
            self.on_call(self.api.calls[-1])
        return status, json.dumps(body).encode()
