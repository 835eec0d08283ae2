"""A cheap mark of the catalog's state, so a process can notice changes any other made."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from catalog.models import Project

# (projects, highest id, latest updated_at as text): any import, edit, withdrawal or deletion
# by any process changes it; one indexed aggregate query, whatever the catalog's size
CatalogMark = tuple[int, int, str]


def catalog_mark(db: Engine) -> CatalogMark:
    """The catalog's current mark (compare two marks to know whether anything changed)."""
    with Session(db) as session:
        count, top, latest = session.exec(
            select(func.count(), func.max(col(Project.id)), func.max(col(Project.updated_at)))
        ).one()
    return int(count), int(top or 0), str(latest or "")
