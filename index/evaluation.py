"""Retrieval quality on an evaluation set: Recall@1/3/5, MRR@10 and withdrawn-project leaks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.models import WITHDRAWN

if TYPE_CHECKING:
    from index.engine import SearchEngine
    from index.results import Answer


@dataclass(frozen=True)
class EvalQuery:
    id: str
    query: str
    relevant: list[str]


@dataclass
class QueryOutcome:
    query: EvalQuery
    ranked: list[str]
    leaks: list[str]

    def recall(self, k: int) -> float:
        rel = set(self.query.relevant)
        if not rel:
            return 0.0
        return len(rel & set(self.ranked[:k])) / min(k, len(rel))

    def rr(self) -> float:
        for i, code in enumerate(self.ranked[:10], 1):
            if code in self.query.relevant:
                return 1.0 / i
        return 0.0


@dataclass
class EvalReport:
    outcomes: list[QueryOutcome] = field(default_factory=list)

    def mean(self, fn: str, *args: int) -> float:
        vals = [getattr(o, fn)(*args) for o in self.outcomes]
        return sum(vals) / len(vals) if vals else 0.0

    @property
    def leaks(self) -> int:
        return sum(len(o.leaks) for o in self.outcomes)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "queries": len(self.outcomes),
            "recall@1": round(self.mean("recall", 1), 4),
            "recall@3": round(self.mean("recall", 3), 4),
            "recall@5": round(self.mean("recall", 5), 4),
            "mrr@10": round(self.mean("rr"), 4),
            "leaks": self.leaks,
        }

    def describe(self, *, verbose: bool = False) -> str:
        d = self.as_dict()
        lines = [
            f"queries   {d['queries']}",
            f"Recall@1  {d['recall@1']:.3f}",
            f"Recall@3  {d['recall@3']:.3f}",
            f"Recall@5  {d['recall@5']:.3f}",
            f"MRR@10    {d['mrr@10']:.3f}",
            f"leaks     {d['leaks']}",
        ]
        if verbose:
            for o in self.outcomes:
                missing = [c for c in o.query.relevant if c not in o.ranked[:5]]
                if missing or o.rr() < 1.0 or o.leaks:
                    lines.append(
                        f"{o.query.id}: {o.query.query!r} rr={o.rr():.2f} missing@5={missing} "
                        f"top5={o.ranked[:5]}" + (f" LEAKS={o.leaks}" if o.leaks else "")
                    )
        return "\n".join(lines)


def load_queries(path: Path) -> list[EvalQuery]:
    """queries.jsonl: {"id", "query", "relevant": [codes]} per line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(
                EvalQuery(
                    str(raw.get("id", n)), str(raw["query"]), [str(c) for c in raw["relevant"]]
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {n}: {exc}") from exc
    return out


LEG_RUNS: dict[str, frozenset[str]] = {
    "lexical": frozenset({"lexical"}),
    "sector": frozenset({"sector"}),
    "vectors": frozenset({"vectors"}),
    "fused": frozenset({"lexical", "sector", "vectors"}),
}


def evaluate(
    engine: SearchEngine, queries: list[EvalQuery], legs: frozenset[str] | None = None
) -> EvalReport:
    """Run every query (top 10) and score it, with all ranking legs or only `legs`."""
    report = EvalReport()
    for q in queries:
        result = engine.search(q.query, k=10, legs=legs or LEG_RUNS["fused"])
        ranked = [h.project.code for h in result.hits]
        leaks = [h.project.code for h in result.hits if h.project.status == WITHDRAWN]
        report.outcomes.append(QueryOutcome(q, ranked, leaks))
    return report


def evaluate_legs(engine: SearchEngine, queries: list[EvalQuery]) -> dict[str, EvalReport]:
    """Each ranking leg alone and the fusion, over the same queries."""
    return {name: evaluate(engine, queries, legs) for name, legs in LEG_RUNS.items()}


def describe_legs(reports: dict[str, EvalReport]) -> str:
    """One line per leg: Recall@1/5 and MRR@10."""
    lines = [f"{'leg':<9} {'R@1':>6} {'R@5':>6} {'MRR@10':>7}"]
    for name, rep in reports.items():
        d = rep.as_dict()
        lines.append(f"{name:<9} {d['recall@1']:>6.3f} {d['recall@5']:>6.3f} {d['mrr@10']:>7.3f}")
    return "\n".join(lines)


@dataclass(frozen=True)
class EvalAnswer:
    id: str
    question: str
    project: str | None
    expect_any: list[str]


@dataclass
class AnswerOutcome:
    item: EvalAnswer
    text: str
    codes: list[str]

    @property
    def right(self) -> bool:
        return any(s in self.text for s in self.item.expect_any)


@dataclass
class AnswerReport:
    outcomes: list[AnswerOutcome] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(1 for o in self.outcomes if o.right)

    def as_dict(self) -> dict[str, int]:
        return {"answers": len(self.outcomes), "answers_right": self.right}

    def describe(self, *, verbose: bool = False) -> str:
        lines = [f"answers   {self.right}/{len(self.outcomes)}"]
        if verbose:
            for o in self.outcomes:
                if not o.right:
                    said = " ".join(o.text.split())[:160]
                    lines.append(
                        f"{o.item.id}: {o.item.question!r} expected one of {o.item.expect_any} "
                        f"({o.item.project}); got {o.codes[:3]} {said!r}"
                    )
        return "\n".join(lines)


def load_answers(path: Path) -> list[EvalAnswer]:
    """answers.jsonl: {"id"?, "question", "project"?, "expect_any": [strings]} per line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expect = raw["expect_any"]
            if not isinstance(expect, list) or not expect:
                raise ValueError("expect_any must be a non-empty list of strings")
            project = raw.get("project")
            out.append(
                EvalAnswer(
                    str(raw.get("id", n)),
                    str(raw["question"]),
                    None if project is None else str(project),
                    [str(s) for s in expect],
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {n}: {exc}") from exc
    return out


def evaluate_answers(
    engine: SearchEngine, items: list[EvalAnswer], render: Callable[[Answer], str]
) -> AnswerReport:
    """Ask every question; an answer is right when one of `expect_any` stands in its wording.

    `render` words the structured answer (bot/ owns the wording; the domain builds no prose).
    """
    report = AnswerReport()
    for item in items:
        answer = engine.ask(item.question)
        codes = [p.code for p in answer.projects]
        report.outcomes.append(AnswerOutcome(item, render(answer), codes))
    return report
