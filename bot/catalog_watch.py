"""The running bot follows catalog changes made by any process (`tuijie import` from a shell,
another bot process): every few seconds it compares the catalog's mark and, when it moved,
re-indexes just the projects that changed (SearchEngine.sync compares content hashes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine

from catalog.changes import CatalogMark, catalog_mark
from index.engine import SearchEngine

_log = logging.getLogger(__name__)


async def _watch(db: Engine, search: SearchEngine, every: float) -> None:
    seen: CatalogMark = await asyncio.to_thread(catalog_mark, db)
    while True:
        await asyncio.sleep(every)
        try:
            if search.repairing:
                continue  # the start-up repair is still catching up; compare when it is done
            mark = await asyncio.to_thread(catalog_mark, db)
            if mark != seen:
                report = await asyncio.to_thread(search.sync)
                seen = mark
                if report.added or report.updated or report.removed:
                    _log.info("catalog changed elsewhere; index synced: %s", report)
        except Exception:  # a busy or briefly unreachable database: try again next time
            _log.warning("could not check the catalog for changes", exc_info=True)


def start_catalog_watch(
    db: Engine, search: SearchEngine, every: float
) -> asyncio.Task[None] | None:
    """Start following the catalog (from post_init, after the services are open); 0: never."""
    if every <= 0:
        return None
    return asyncio.get_running_loop().create_task(_watch(db, search, every))


async def stop_catalog_watch(task: asyncio.Task[None] | None) -> None:
    """Stop following the catalog."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
