"""The demo catalog shipped in the package: Taiyuan's 2024 projects, loaded into an empty DB."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from catalog.db import session_scope
from catalog.importer import import_into
from catalog.projects import count_projects

DEMO_CATALOG = Path(__file__).with_name("demo") / "demo_catalog.jsonl"


def load_demo_if_empty(engine: Engine) -> int:
    """Load the demo catalog when there is no project at all; how many projects it loaded."""
    with session_scope(engine) as session:
        if count_projects(session) > 0:
            return 0
        report = import_into(session, DEMO_CATALOG, fmt="jsonl")
    return len(report.new)
