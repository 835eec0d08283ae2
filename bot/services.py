"""The long-lived services the handlers use, kept once in application.bot_data."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bot.delivery.throttle import Throttle
from bot.settings import Settings

if TYPE_CHECKING:
    from index.engine import SearchEngine

KEY = "tuijie.services"
_log = logging.getLogger(__name__)


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
    extras: dict[str, Any] = field(default_factory=dict)  # other engineers' long-lived helpers

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
    from catalog.db import open_database
    from catalog.demo import load_demo_if_empty
    from index.engine import SearchEngine

    db = open_database(settings.database_url)
    loaded = load_demo_if_empty(db)
    if loaded:
        _log.info("the catalog was empty: loaded %d demo projects", loaded)
    search = SearchEngine(db, settings.index_dir, settings.embedding_model)
    # the model loads now, quietly (the first query must not stall); a small repair is done
    # before serving, a large one (a first build, an interrupted import) while the bot answers
    search.start()
    return Services(settings=settings, db=db, search=search, owned=True)


def services(context: Any) -> Services:
    """The services of the running application (typed accessor over bot_data)."""
    value = context.application.bot_data.get(KEY)
    if not isinstance(value, Services):
        raise ServicesNotReady("services are not open yet")
    return value
