"""The long-lived services the handlers use, kept once on the application (bot.context)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.delivery.broadcast import Sender
from bot.delivery.throttle import Throttle
from bot.settings import Settings
from catalog.db import open_database
from catalog.demo import load_demo_if_empty
from index.engine import SearchEngine

_log = logging.getLogger(__name__)
# the choices /profile offers (sectors, regions, ...), with the monotonic time they were counted
ProfileOptions = tuple[float, dict[str, list[str]]]


class ServicesNotReady(RuntimeError):
    """A handler ran before post_init opened the services."""


@dataclass
class Services:
    """Database, search engine and per-process helpers shared by every handler."""

    settings: Settings
    db: Engine
    search: SearchEngine
    throttle: Throttle = field(default_factory=Throttle)
    owned: bool = False  # True when post_init opened them (then post_shutdown closes them)
    sender: Sender | None = None  # the outbox sender, while the application runs
    catalog_watch: asyncio.Task[None] | None = None  # following other processes' imports
    profile_options: ProfileOptions | None = None  # cached by /profile for a few minutes

    def close(self) -> None:
        """Close the search engine and the database pool."""
        try:
            self.search.close()
        finally:
            self.db.dispose()


def open_services(settings: Settings) -> Services:
    """Open the database (upgrading the schema), load the demo if empty, start the index.

    Blocking: call it in a thread.
    """
    db = open_database(settings.database_url)
    loaded = load_demo_if_empty(db)
    if loaded:
        _log.info("the catalog was empty: loaded %d demo projects", loaded)
    search = SearchEngine(db, settings.index_dir, settings.embedding_model)
    # the model loads now, quietly (the first query must not stall); a small repair is done
    # before serving, a large one (a first build, an interrupted import) while the bot answers
    search.start()
    return Services(settings=settings, db=db, search=search, owned=True)
