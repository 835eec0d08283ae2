"""The four project stages and the wordings promotion offices use for them.

Every stage that enters the catalog (an import, /add, /edit, an Excel sheet's 项目进展 column)
goes through `normalise_stage`, so cards, filters and matching only ever see the four values.
"""

from __future__ import annotations

import re

EARLY, BUILDING, PARTLY, OPERATING = "前期", "在建", "部分投产", "已投产"
STAGES: tuple[str, ...] = (EARLY, BUILDING, PARTLY, OPERATING)

# Checked in order: the first pattern found in the wording decides. Partial operation before
# operation (部分投产 contains 投产), plans and preparations before construction (拟开工 is not
# yet built), construction before completion words that also occur in plans (计划建成).
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (PARTLY, re.compile(r"部分投产|部分建成|部分运营|一期(已)?(建成|投产|运营)|partly|partially")),
    (
        EARLY,
        re.compile(
            r"前期|谋划|策划|储备|规划|可研|立项|审批|备案|招商|洽谈|拟建|拟开工|待建|未开工|"
            r"筹建|筹备|计划开工|准备|设计阶段|early|planning|pre-?construction|proposed|prepar"
        ),
    ),
    (
        BUILDING,
        re.compile(
            r"在建|开工|施工|建设中|续建|新建|推进建设|under construction|construction|building"
        ),
    ),
    (
        OPERATING,
        re.compile(
            r"已投产|投产|建成|运营|投入使用|完工|竣工|存量|in operation|operating|operational|"
            r"completed|existing"
        ),
    ),
)


def normalise_stage(text: str) -> str | None:
    """One of STAGES for an office's wording of a stage, or None when it names none."""
    wording = re.sub(r"\s+", " ", text.strip().lower())
    if wording in STAGES:
        return wording
    for stage, pattern in _RULES:
        if pattern.search(wording):
            return stage
    return None
