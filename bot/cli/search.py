"""`tuijie search / ask / eval / reindex`: thin entry points over index.SearchEngine."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bot.settings import Settings
from bot.views.answers import render_answer_text
from catalog.db import open_database
from catalog.errors import CatalogError
from catalog.exchange import json_number
from index import SearchEngine
from index.evaluation import (
    describe_legs,
    evaluate,
    evaluate_answers,
    evaluate_legs,
    load_answers,
    load_queries,
)
from index.results import SearchResult
from index.understanding.money import format_cny

EMPTY_CATALOG = (
    "The catalog is empty: import one first, e.g. `tuijie import catalog.jsonl` "
    "(目录为空：请先用 tuijie import 导入项目)."
)
NOTICES = {
    "empty_query": "empty query: type some words (查询为空)",
    "unusable_query": "the query has no words to search for (查询中没有可搜索的文字)",
    "query_truncated": "the query was too long and was cut short (查询过长，已截断)",
    "no_results": "no matching projects (没有找到相关项目)",
    "empty_catalog": EMPTY_CATALOG,
}


def _engine(settings: Settings, *, progress: bool = True) -> SearchEngine:
    db = open_database(settings.database_url)
    engine = SearchEngine(db, settings.index_dir, settings.embedding_model, progress=progress)
    engine.open()
    return engine


def _lines(first: str | None) -> Iterator[str]:
    if first is not None:
        yield first
        return
    # Every input line gets its output line (a blank one too, with its notice), so the
    # output can be zipped with the input.
    for line in sys.stdin:
        yield line.rstrip("\n")


def _amount(value: float | None) -> int | float | None:
    return None if value is None else json_number(value)


def _result_json(result: SearchResult) -> dict[str, object]:
    return {
        "query": result.query,
        "understood": result.understanding.describe("en"),
        "total": result.total,
        "notice": result.notice,
        "results": [
            {
                "code": h.project.code,
                "name": h.project.name,
                "score": round(h.score, 4),
                "region": h.project.region,
                "industry": h.project.industry,
                "investment_cny": _amount(h.project.investment_cny),
                "private_capital_cny": _amount(h.project.private_capital_cny),
                "cooperation": h.project.cooperation,
                "stage": h.project.stage,
                "batch": h.project.batch,
            }
            for h in result.hits
        ],
    }


def _print_table(result: SearchResult) -> None:
    described = result.understanding.describe("zh")
    if described:
        print(f"理解为 / understood: {described}")
    if result.notice:
        print(f"({NOTICES.get(result.notice, result.notice)})")
    if not result.hits:
        return
    print(f"{result.total} result" + ("" if result.total == 1 else "s"))
    for i, h in enumerate(result.hits, 1):
        p = h.project
        money = format_cny(p.investment_cny, "zh") if p.investment_cny else "-"
        print(
            f"{i:>2}. {p.code:<12} {h.score:6.3f}  {p.name}  [{p.region or '-'} · {money}"
            f" · {p.stage or '-'}]"
        )


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Search the catalog: one query, or one per stdin line (JSON lines)."""
    engine = _engine(settings)
    if engine.count() == 0:
        print(EMPTY_CATALOG, file=sys.stderr)
        return 1
    k = max(1, min(int(args.k), 100))
    as_json = args.json or args.query is None
    for query in _lines(args.query):
        result = engine.search(query, k=k)
        if as_json:
            print(json.dumps(_result_json(result), ensure_ascii=False), flush=True)
        else:
            _print_table(result)
    return 0


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    """Projects nearest to one project."""
    engine = _engine(settings)
    if engine.project(args.code) is None:
        print(f"tuijie similar: no project with code {args.code!r}", file=sys.stderr)
        return 2
    hits = engine.similar(args.code, k=max(1, min(int(args.k), 100)), same=args.same)
    if args.json:
        rows = [{"code": h.project.code, "name": h.project.name, "score": h.score} for h in hits]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for i, h in enumerate(hits, 1):
        p = h.project
        print(f"{i:>2}. {p.code:<12} {h.score:6.3f}  {p.name}  [{p.region or '-'}]")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer questions as the bot would."""
    engine = _engine(settings)
    if engine.count() == 0:
        print(EMPTY_CATALOG, file=sys.stderr)
        return 1
    if args.question is not None and not args.question.strip():
        print(
            "an empty question: ask about a project, e.g. 贝尔油库扩建项目需要多少民间资本",
            file=sys.stderr,
        )
        return 2
    for question in _lines(args.question):
        answer = engine.ask(question)
        if args.json or args.question is None:
            print(
                json.dumps(
                    {
                        "question": question,
                        "answer": render_answer_text(answer),
                        "kind": answer.kind,
                        "field": answer.field,
                        "fact": answer.fact,
                        "value": answer.value,
                        "sentence": answer.sentence,
                        "stated": answer.stated,
                        "projects": [p.code for p in answer.projects],
                        "others": [p.code for p in answer.others],
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )
        else:
            print(render_answer_text(answer))
    return 0


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    """Rebuild the search index from the catalog."""
    db = open_database(settings.database_url)
    engine = SearchEngine(db, settings.index_dir, settings.embedding_model, progress=True)
    engine.reindex()
    print(f"indexed {engine.count()} project(s) into {settings.index_dir}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Recall@1/3/5, MRR@10, leaks (and answers right, with DIR/answers.jsonl) in a temp DB."""
    from catalog.importer import import_file

    folder = Path(args.dir)
    catalog, queries_file = folder / "catalog.jsonl", folder / "queries.jsonl"
    for f in (catalog, queries_file):
        if not f.is_file():
            print(f"tuijie eval: {f} is missing", file=sys.stderr)
            return 2
    answers_file = folder / "answers.jsonl"
    try:
        queries = load_queries(queries_file)
        answers = load_answers(answers_file) if answers_file.is_file() else None
    except ValueError as exc:
        print(f"tuijie eval: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tuijie-eval-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            import_file(db, catalog)
        except CatalogError as exc:
            print(f"tuijie eval: {exc}", file=sys.stderr)
            return 2
        engine = SearchEngine(db, Path(tmp) / "index", settings.embedding_model)
        engine.open()
        report = evaluate(engine, queries)
        legs = evaluate_legs(engine, queries) if getattr(args, "legs", False) else None
        answered = evaluate_answers(engine, answers, render_answer_text) if answers else None
        db.dispose()
    if legs is not None:
        if args.json:
            print(json.dumps({k: r.as_dict() for k, r in legs.items()}, ensure_ascii=False))
        else:
            print(describe_legs(legs))
        return 0
    if args.json:
        figures: dict[str, float | int] = dict(report.as_dict())
        if answered is not None:
            figures.update(answered.as_dict())
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(report.describe(verbose=args.verbose))
        if answered is not None:
            print(answered.describe(verbose=args.verbose))
    return 0
