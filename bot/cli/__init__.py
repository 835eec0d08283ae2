"""`tuijie`: the command line. Each subcommand parses its input and calls one use-case module."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from bot.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]

DESCRIPTION = """Tuijie (推介): matches private investors with projects that Chinese local
governments promote to private capital. Settings come from the environment or
a .env file (see README.md)."""


def _positive(value: str) -> int:
    """An argparse type: a whole number of at least 1 (--k 0 or -3 is refused)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _add_import_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.cli import catalog as cli_catalog

    p = sub.add_parser(
        "import",
        help="import a catalog file (.jsonl, .json, .csv, .xlsx) into the catalog (upsert by code)",
        description="Validate the whole file first, then apply it in one transaction. "
        "A file with any invalid row is refused with every bad row named; nothing is applied. "
        "An .xlsx promotion list is read as offices write it (title rows, units, merged "
        "two-level headers, 序号 and 合计 rows); the dry run shows how its columns were read.",
    )
    p.add_argument(
        "file", help="path of a .jsonl, .json or .csv file in the exchange format, or an .xlsx list"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and report what would change; apply nothing",
    )
    p.add_argument(
        "--batch",
        help="batch of an .xlsx sheet that has no 批次 column and no batch in its title (2025-1)",
    )
    p.set_defaults(handler=cli_catalog.cmd_import)

    p = sub.add_parser(
        "export",
        help="write the catalog to a file in the exchange format",
        description="The format follows the file extension (.jsonl, .json, .csv, .xlsx); '-' "
        "writes JSON lines to standard output.",
    )
    p.add_argument("file", help="destination path (.jsonl, .json, .csv, .xlsx) or '-' for stdout")
    p.set_defaults(handler=cli_catalog.cmd_export)


def _add_search(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.cli import search as cli_search

    p = sub.add_parser(
        "search",
        help="search the catalog",
        description="Without QUERY, reads one query per stdin line and prints one JSON object "
        "per line.",
    )
    p.add_argument("query", nargs="?", help="the query (Chinese or English)")
    p.add_argument("--k", type=_positive, default=5, help="how many results (1-100, default 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cli_search.cmd_search)

    p = sub.add_parser(
        "ask",
        help="answer a question from the catalog, as the bot would",
        description="Without QUESTION, reads one question per stdin line.",
    )
    p.add_argument("question", nargs="?", help="the question (Chinese or English)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.set_defaults(handler=cli_search.cmd_ask)

    p = sub.add_parser(
        "eval",
        help="measure retrieval quality on an evaluation set",
        description="DIR holds catalog.jsonl and queries.jsonl. The catalog is loaded into a "
        "temporary database, so your own catalog is untouched.",
    )
    p.add_argument("dir", help="folder with catalog.jsonl and queries.jsonl")
    p.add_argument("--verbose", "-v", action="store_true", help="list every query's misses")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--legs",
        action="store_true",
        help="also score each ranking leg alone (lexical, sector, vectors) beside the fusion",
    )
    p.set_defaults(handler=cli_search.cmd_eval)

    p = sub.add_parser(
        "similar",
        help="projects similar to one project",
        description="Nearest published projects in the vector index.",
    )
    p.add_argument("code", help="the project code")
    p.add_argument("--k", type=int, default=5, help="how many (default 5)")
    p.add_argument("--same", choices=["region", "sector"], help="only the same province / sector")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cli_search.cmd_similar)

    p = sub.add_parser("reindex", help="rebuild the search index from scratch")
    p.set_defaults(handler=cli_search.cmd_reindex)


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.cli import run as cli_run

    p = sub.add_parser(
        "run",
        help="start the Telegram bot (long polling)",
        description="Needs TELEGRAM_BOT_TOKEN. On an empty catalog the demo projects are loaded.",
    )
    p.set_defaults(handler=cli_run.cmd_run)

    p = sub.add_parser(
        "chat",
        help="try the bot in this terminal, without a Telegram token",
        description="Each line you type becomes a message to the bot; buttons print as numbered "
        "choices and typing the number presses one.",
    )
    p.add_argument("--user-id", type=int, default=1, help="the Telegram user id to play")
    p.set_defaults(handler=cli_run.cmd_chat)


def _add_office(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.cli import office as cli_office
    from catalog.models import LEAD_STATUSES

    p = sub.add_parser(
        "leads",
        help="list the leads (interests the office follows up), newest first",
        description="Without --status, the open leads (new, contacted, talks). The investor's "
        "contact is shown only when they consented to share it.",
    )
    p.add_argument("--status", choices=LEAD_STATUSES, help="only leads in this status")
    p.add_argument("--json", action="store_true", help="one JSON object per lead")
    p.set_defaults(handler=cli_office.cmd_leads)

    p = sub.add_parser(
        "report",
        help="write the period's report workbook (.xlsx)",
        description="Sheets: Summary, Leads, Interest per project, Search gaps, for the days "
        "FROM to TO (both included, UTC).",
    )
    p.add_argument("start", metavar="FROM", help="first day, YYYY-MM-DD")
    p.add_argument("end", metavar="TO", help="last day, YYYY-MM-DD")
    p.add_argument("file", metavar="FILE.xlsx", help="where to write the workbook")
    p.set_defaults(handler=cli_office.cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuijie", description=DESCRIPTION)
    parser.add_argument("--debug", action="store_true", help="log everything (debug level)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_import_export(sub)
    _add_search(sub)
    _add_run(sub)
    _add_office(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not args.debug:
        # Schema upgrades and model loading are routine; say them only when asked.
        for name in ("alembic", "sentence_transformers", "jieba"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        settings = Settings()
        handler: Handler = args.handler
        return handler(args, settings)
    except ValidationError as exc:
        print(f"tuijie: bad setting: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
