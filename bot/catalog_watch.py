"""The running bot follows catalog changes made by any process (`tuijie import` from a shell,
another bot process): every few seconds it compares the catalog's mark and, when it moved,
re-indexes just the projects that changed (SearchEngine.sync compares content hashes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.services import KEY, Services
from catalog.changes import CatalogMark, catalog_mark

_log = logging.getLogger(__name__)
WATCH_KEY = "tuijie.catalog_watch"


async def _watch(svc: Services, every: float) -> None:
    seen: CatalogMark = await asyncio.to_thread(catalog_mark, svc.db)
    while True:
        await asyncio.sleep(every)
        try:
            if svc.search.repairing:
                continue  # the start-up repair is still catching up; compare when it is done
            mark = await asyncio.to_thread(catalog_mark, svc.db)
            if mark != seen:
                report = await asyncio.to_thread(svc.search.sync)
                seen = mark
                if report.added or report.updated or report.removed:
                    _log.info("catalog changed elsewhere; index synced: %s", report)
        except Exception:  # a busy or briefly unreachable database: try again next time
            _log.warning("could not check the catalog for changes", exc_info=True)


def start_catalog_watch(app: Any) -> None:
    """Start following the catalog (from post_init, after the services are open)."""
    svc = app.bot_data.get(KEY)
    every = svc.settings.catalog_poll_seconds if isinstance(svc, Services) else 0
    if not isinstance(svc, Services) or svc.search is None or every <= 0:
        return
    svc.extras[WATCH_KEY] = asyncio.get_running_loop().create_task(_watch(svc, every))


async def stop_catalog_watch(app: Any) -> None:
    """Stop following the catalog."""
    svc = app.bot_data.get(KEY)
    task = svc.extras.pop(WATCH_KEY, None) if isinstance(svc, Services) else None
    if isinstance(task, asyncio.Task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
