"""Similar projects: nearest neighbours of a project's own vector, optionally same region/sector."""

from __future__ import annotations

from index.store.state import IndexState

SAME = ("region", "sector")
POOL = 200  # neighbours looked at before the region / sector condition


def _top_sector(sectors: dict[str, float]) -> str | None:
    return max(sectors, key=lambda k: (sectors[k], k)) if sectors else None


def similar_ids(state: IndexState, code: str, k: int, same: str | None) -> list[tuple[int, float]]:
    """(id, cosine) of the k projects nearest to `code`, best first; [] if it is not indexed.

    The index holds published projects only, so withdrawn or draft ones never appear.
    `same` keeps neighbours in the project's province ("region") or its main sector ("sector").
    """
    if same is not None and same not in SAME:
        raise ValueError(f"same must be one of {SAME}")
    pid = state.code_to_id.get(code)
    if pid is None or state.vectors is None or not state.vectors.count():
        return []
    rec = state.records[pid]
    vec = state.vectors.vector(pid)
    if vec is None:
        return []
    ids, cos = state.vectors.search(vec, max(POOL, k + 1) if same else k + 1)
    province = state.facets.cols["province"][state.slot_of[pid]]
    sector = _top_sector(rec.sectors)
    out: list[tuple[int, float]] = []
    for other, score in zip(ids.tolist(), cos.tolist(), strict=True):
        if other == pid or other not in state.records:
            continue
        if same == "region" and (
            province < 0 or state.facets.cols["province"][state.slot_of[other]] != province
        ):
            continue
        if same == "sector" and (sector is None or sector not in state.records[other].sectors):
            continue
        out.append((other, float(score)))
        if len(out) == k:
            break
    return out
