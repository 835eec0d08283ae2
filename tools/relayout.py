"""Rewrite module paths from the flat layout to the layout of issue 8 (bot/handlers/investor|admin,
bot/views, bot/delivery, bot/cli, bot/local, index/understanding, index/store).

    python tools/relayout.py [PATH ...]     # default: bot catalog index tests tools *.md docs ...

It rewrites, in the files given (folders are walked):
- `import a.b` and `from a.b import x`, including `from bot import cli_run` and
  `from bot.handlers import admin_add` (which become `from bot.cli import run as cli_run`, keeping
  the name the code uses), local imports included;
- every other dotted module path (monkeypatch targets and logger names in strings, docstrings,
  comments, pyproject entries) and path spelling (`bot/localapi.py`, `bot/locales/`).

It only maps old paths, so running it again changes nothing (idempotent), and code written on the
old layout by someone else can be brought across with it after a merge. It moves no files: the
moves were made once with `git mv` (see MOVES).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

# old module -> new module (the files were moved with git mv, nothing else changed in them)
MOVES: dict[str, str] = {
    # bot: presentation
    "bot.answers": "bot.views.answers",
    "bot.charts": "bot.views.charts",
    "bot.i18n": "bot.views.i18n",
    "bot.links": "bot.views.links",
    "bot.office_report": "bot.views.office_report",
    "bot.render": "bot.views.render",
    "bot.understood": "bot.views.understood",
    # bot: delivery (outbound sending, its limits, digests) and inbound flood control
    "bot.broadcast": "bot.delivery.broadcast",
    "bot.digest": "bot.delivery.digest",
    "bot.ratelimit": "bot.delivery.ratelimit",
    "bot.throttle": "bot.delivery.throttle",
    # bot: the command line (bot/cli.py became the package bot/cli/__init__.py: bot.cli:main stays)
    "bot.cli_catalog": "bot.cli.catalog",
    "bot.cli_office": "bot.cli.office",
    "bot.cli_run": "bot.cli.run",
    "bot.cli_search": "bot.cli.search",
    "bot.reachability": "bot.cli.reachability",
    # bot: the terminal chat's in-memory Bot API
    "bot.apirules": "bot.local.apirules",
    "bot.localapi": "bot.local.api",
    "bot.localchats": "bot.local.chats",
    "bot.localrequest": "bot.local.request",
    "bot.terminal": "bot.local.terminal",
    # bot: handlers
    "bot.handlers.admin": "bot.handlers.admin.commands",
    "bot.handlers.admin_add": "bot.handlers.admin.add",
    "bot.handlers.admin_import": "bot.handlers.admin.upload",
    "bot.handlers.admin_leads": "bot.handlers.admin.leads",
    "bot.handlers.admin_stats": "bot.handlers.admin.stats",
    "bot.downloads": "bot.handlers.admin.downloads",
    "bot.handlers.details": "bot.handlers.investor.details",
    "bot.handlers.forget": "bot.handlers.investor.forget",
    "bot.handlers.inline": "bot.handlers.investor.inline",
    "bot.handlers.interest": "bot.handlers.investor.interest",
    "bot.handlers.language": "bot.handlers.investor.language",
    "bot.handlers.match": "bot.handlers.investor.match",
    "bot.handlers.profile": "bot.handlers.investor.profile",
    "bot.handlers.search": "bot.handlers.investor.search",
    "bot.handlers.start": "bot.handlers.investor.start",
    "bot.handlers.subscribe": "bot.handlers.investor.subscribe",
    "bot.handlers.unknown": "bot.handlers.investor.unknown",
    # index: understanding a query
    "index.amounts": "index.understanding.amounts",
    "index.facts": "index.understanding.facts",
    "index.money": "index.understanding.money",
    "index.periods": "index.understanding.periods",
    "index.query": "index.understanding.query",
    "index.regions": "index.understanding.regions",
    "index.taxonomy": "index.understanding.taxonomy",
    "index.text": "index.understanding.text",
    "index.data.make_regions": "index.understanding.data.make_regions",
    # index: what is stored
    "index.documents": "index.store.documents",
    "index.embedder": "index.store.embedder",
    "index.facets": "index.store.facets",
    "index.lexical": "index.store.lexical",
    "index.state": "index.store.state",
    "index.storage": "index.store.storage",
    "index.vectors": "index.store.vectors",
}

# folders that moved whole (data files, not modules), and paths no module name spells
FOLDERS: dict[str, str] = {
    "bot/cli.py": "bot/cli/__init__.py",
    "bot/locales": "bot/views/locales",
    "index/data": "index/understanding/data",
}

NEW_PACKAGES = (
    "bot.views",
    "bot.delivery",
    "bot.cli",
    "bot.local",
    "bot.handlers.admin",
    "bot.handlers.investor",
    "index.understanding",
    "index.understanding.data",
    "index.store",
)

NEW_MODULES = frozenset(MOVES.values()) | frozenset(NEW_PACKAGES)
ROOTS = ("bot", "index", "catalog")
DOTTED = re.compile(r"(?<![\w.])(?:bot|index|catalog)(?:\.[A-Za-z_]\w*)+")
PATHLIKE = re.compile(r"(?<![\w./])(?:bot|index|catalog)(?:/[A-Za-z_]\w*)+(?:\.py)?(?=[^\w/]|/|$)")
FROM_IMPORT = re.compile(r"\s+import\b")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".service", ".example", ""}
DEFAULT_PATHS = ("bot", "catalog", "index", "tests", "tools", "docs", "README.md", "pyproject.toml")
SKIP_DIRS = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _longest(dotted: str, names: frozenset[str] | dict[str, str]) -> str | None:
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in names:
            return head
    return None


def map_dotted(dotted: str) -> str:
    """`bot.localapi.MAX_TEXT` -> `bot.local.api.MAX_TEXT`; a path already new stays as it is."""
    old = _longest(dotted, MOVES)
    if old is None:
        return dotted
    new = _longest(dotted, NEW_MODULES)
    if new is not None and len(new) > len(old):
        return dotted  # e.g. bot.handlers.admin.add: already the new layout
    return MOVES[old] + dotted[len(old) :]


def map_path(path: str) -> str:
    """`bot/localapi.py` -> `bot/local/api.py`, `bot/locales/en.json` -> `bot/views/locales/...`."""
    for old, new in FOLDERS.items():
        if path == old or path.startswith(old + "/"):
            return new + path[len(old) :]
    suffix = ".py" if path.endswith(".py") else ""
    dotted = path[: len(path) - len(suffix)].replace("/", ".")
    if not suffix and dotted in NEW_PACKAGES:
        return path  # bot/handlers/admin/ is the new folder, not the old module
    mapped = map_dotted(dotted)
    if mapped == dotted:
        return path
    return mapped.replace(".", "/") + suffix


def _from_import(node: ast.ImportFrom, indent: str) -> list[str] | None:
    """The statements replacing one `from X import ...`, or None when it needs no change."""
    if node.level or node.module is None or node.module.split(".")[0] not in ROOTS:
        return None
    groups: dict[str, list[str]] = {}
    for alias in node.names:
        full = f"{node.module}.{alias.name}"
        if full in MOVES:  # before NEW_MODULES: bot.handlers.admin was a module
            target = MOVES[full]
            package, name = target.rsplit(".", 1)
            local = alias.asname or alias.name
            groups.setdefault(package, []).append(name if local == name else f"{name} as {local}")
        elif full in NEW_MODULES or alias.name == "*":
            groups.setdefault(node.module, []).append(_alias(alias))
        else:
            groups.setdefault(map_dotted(node.module), []).append(_alias(alias))
    if list(groups) == [node.module]:
        return None
    out = []
    for package, names in groups.items():
        one = f"{indent}from {package} import {', '.join(names)}"
        if len(one) > 99:
            inner = "".join(f"{indent}    {n},\n" for n in names)
            one = f"{indent}from {package} import (\n{inner}{indent})"
        out.append(one)
    return out


def _alias(alias: ast.alias) -> str:
    return alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"


def rewrite_python(source: str) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans: list[tuple[int, int, int, int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.end_lineno and node.end_col_offset:
            start = lines[node.lineno - 1]
            replacement = _from_import(node, start[: node.col_offset])
            if replacement is not None:
                spans.append(
                    (
                        node.lineno,
                        node.col_offset,
                        node.end_lineno,
                        node.end_col_offset,
                        replacement,
                    )
                )
    for lineno, col, end_lineno, end_col, replacement in sorted(spans, reverse=True):
        head = lines[lineno - 1][:col]
        tail = lines[end_lineno - 1][end_col:]
        body = "\n".join(replacement)[len(head) :]
        lines[lineno - 1 : end_lineno] = [head + body + tail]
    return rewrite_text("".join(lines), python=True)


def rewrite_text(text: str, python: bool = False) -> str:
    def dotted(m: re.Match[str]) -> str:
        if python and FROM_IMPORT.match(text, m.end()):
            return m.group(0)  # `from X import`: rewritten above, name by name
        return map_dotted(m.group(0))

    text = DOTTED.sub(dotted, text)
    return PATHLIKE.sub(lambda m: map_path(m.group(0)), text)


def rewrite_file(path: Path) -> bool:
    """Rewrite one file in place; True when it changed."""
    try:
        source = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    new = rewrite_python(source) if path.suffix == ".py" else rewrite_text(source)
    if new == source:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                wanted = p.suffix in TEXT_SUFFIXES and (p.suffix or p.name in {"Makefile", "run"})
                if wanted and p.is_file() and not SKIP_DIRS & set(p.parts):
                    out.append(p)
        elif path.is_file():
            out.append(path)
    # this file and its test spell old paths on purpose
    return [p for p in out if p.name not in {"relayout.py", "test_relayout.py"}]


def main(argv: list[str]) -> int:
    changed = [p for p in files(argv or list(DEFAULT_PATHS)) if rewrite_file(p)]
    for p in changed:
        print(f"rewrote {p}")
    if changed:
        print("then run: ruff check --fix --select I . && ruff format .", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
