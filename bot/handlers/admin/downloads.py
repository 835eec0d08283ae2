"""Downloading a file a user sent, with a size limit enforced while the bytes arrive (Telegram
does not always report a file's size before the download)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from telegram import Bot

_log = logging.getLogger(__name__)
CHUNK = 64 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class TooBig(Exception):
    """The file is larger than the limit (the part already downloaded was removed)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"larger than the limit (at least {size} bytes)")
        self.size = size


class DownloadFailed(Exception):
    """The file could not be fetched (the message never holds the URL: it holds the token)."""


async def _chunks(bot: Bot, url: str) -> AsyncIterator[bytes]:
    local = getattr(bot.request, "stream_file", None)  # the terminal chat's in-memory API
    if local is not None:
        async for chunk in local(url, CHUNK):
            yield chunk
        return
    async with (
        httpx.AsyncClient(timeout=TIMEOUT) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise DownloadFailed(f"the Bot API answered {response.status_code}")
        async for chunk in response.aiter_bytes(CHUNK):
            yield chunk


async def download_capped(bot: Bot, file_id: str, dest: Path, limit: int) -> int:
    """Save the file to `dest`, its size in bytes; TooBig as soon as more than `limit` arrived."""
    telegram_file = await bot.get_file(file_id)
    if telegram_file.file_size is not None and telegram_file.file_size > limit:
        raise TooBig(telegram_file.file_size)
    url = str(telegram_file.file_path or "")
    size = 0
    try:
        with open(dest, "wb") as out:
            async for chunk in _chunks(bot, url):
                size += len(chunk)
                if size > limit:
                    raise TooBig(size)
                out.write(chunk)
    except httpx.HTTPError as exc:
        dest.unlink(missing_ok=True)
        _log.warning("document download failed: %s", type(exc).__name__)
        raise DownloadFailed(type(exc).__name__) from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return size
