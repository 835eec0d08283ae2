"""index.match: hard constraints, reasons, ranking with the real engine, ticket parsing."""

from __future__ import annotations

import pytest
from botsetup import shared_services
from sqlmodel import Session, select

from catalog.models import WITHDRAWN, Project, ProjectPublic
from index.match import Profile, Reason, fits, match_projects, parse_ticket
from index.understanding.taxonomy import load_taxonomy


def catalog() -> list[ProjectPublic]:
    with Session(shared_services().db) as session:
        return [ProjectPublic.model_validate(p.model_dump()) for p in session.exec(select(Project))]


def by_code(code: str) -> ProjectPublic:
    return next(p for p in catalog() if p.code == code)


def test_empty_profile_fits_every_published_project_without_reasons() -> None:
    p = by_code("DEV-001")
    assert fits(Profile(), p) == []
    assert fits(Profile(), p.model_copy(update={"status": WITHDRAWN})) is None


def test_each_hard_constraint_excludes_and_explains() -> None:
    p = by_code("DEV-001")  # 贵州 data centre, 36亿 total, 12亿 private, 股权合作, 部分投产
    assert p.private_capital_cny == 1.2e9
    assert fits(Profile(regions=["贵州省"]), p) == [Reason("region", "贵州省")]
    assert fits(Profile(regions=["贵阳"]), p) == [Reason("region", "贵阳")]
    assert fits(Profile(regions=["山西省"]), p) is None
    assert fits(Profile(ticket_min_cny=1e9, ticket_max_cny=2e9), p) == [
        Reason("amount", str(1.2e9))
    ]
    assert fits(Profile(ticket_max_cny=1e9), p) is None  # 12亿 sought from private capital
    assert fits(Profile(cooperation_modes=["股权合作"]), p) == [Reason("cooperation", "股权合作")]
    assert fits(Profile(cooperation_modes=["PPP"]), p) is None
    assert fits(Profile(stages=["部分投产"]), p) == [Reason("stage", "部分投产")]
    assert fits(Profile(stages=["前期"]), p) is None


def test_amount_falls_back_to_total_investment_when_private_capital_is_absent() -> None:
    p = by_code("TEST-LONG/长")  # 8000万 total, no private capital stated
    assert p.private_capital_cny is None
    assert fits(Profile(ticket_max_cny=1e8), p) == [Reason("amount", str(8e7))]
    assert fits(Profile(ticket_min_cny=1e8), p) is None


def test_broader_sector_includes_narrower_ones_and_free_words_match_text() -> None:
    solar = [p for p in catalog() if "solar" in load_taxonomy().sector_of(p)]
    assert solar
    for p in solar:
        assert fits(Profile(sectors=["new_energy"]), p) == [Reason("industry", "new_energy")]
    assert fits(Profile(sectors=["semiconductor"]), solar[0]) is None
    p = by_code("DEV-001")
    assert fits(Profile(sectors=["东数西算"]), p) is not None


def test_match_projects_returns_only_fitting_projects_best_first_and_pages() -> None:
    svc = shared_services()
    profile = Profile(sectors=["new_energy"], ticket_max_cny=5e9)
    everything = match_projects(svc.search, profile, k=100)
    expected = {p.code for p in catalog() if fits(profile, p) is not None}
    assert {m.project.code for m in everything} == expected
    assert [m.score for m in everything] == sorted((m.score for m in everything), reverse=True)
    assert all(m.reasons[0].kind == "industry" for m in everything)
    assert match_projects(svc.search, profile, k=2, offset=2) == everything[2:4]
    only = [
        m.project.code for m in match_projects(svc.search, profile, codes=["DEV-006", "DEV-001"])
    ]
    assert only == (["DEV-006"] if "DEV-006" in expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1亿-5亿", (1e8, 5e8)),
        ("50m-200m", (5e7, 2e8)),
        ("3000万以上", (3e7, None)),
        ("up to 2 billion", (None, 2e9)),
        ("5000万", (None, 5e7)),
        ("五千万到两亿", (5e7, 2e8)),
        ("a lot", None),
    ],
)
def test_parse_ticket(text: str, expected: tuple[float | None, float | None] | None) -> None:
    assert parse_ticket(text) == expected
