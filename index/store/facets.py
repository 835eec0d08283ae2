"""Per-slot filter columns (amounts, region, stage, cooperation, batch) as numpy arrays."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from index.store.documents import DocRecord
from index.understanding.periods import record_year
from index.understanding.query import COOP_PATTERNS, ParsedQuery
from index.understanding.regions import Place, gazetteer

STAGE_CANON = [
    ("部分投产", ("部分投产", "部分建成", "部分运营", "部分投运", "一期投产")),
    ("已投产", ("已投产", "投产", "建成", "运营", "完工", "存量", "竣工")),
    ("在建", ("在建", "建设中", "施工", "开工", "续建")),
    ("前期", ("前期", "筹建", "规划", "拟建", "储备", "谋划")),
]


def canonical_stage(raw: str | None) -> str | None:
    """Map a catalog's stage wording onto 前期 / 在建 / 部分投产 / 已投产."""
    if not raw:
        return None
    for canon, words in STAGE_CANON:
        if any(w in raw for w in words):
            return canon
    return raw


def canonical_batch(raw: str | None) -> str | None:
    """ "2024-04", "2024年第4批" -> "2024-4"."""
    if not raw:
        return None
    m = re.search(r"(20\d\d)\D{0,3}0*(\d{1,2})", raw)
    return f"{m.group(1)}-{int(m.group(2))}" if m else raw.strip()


def coop_parts(raw: str | None) -> set[str]:
    """A catalog's cooperation field as the upper-cased modes it names.

    Real records are compound: "股权合作/PPP", "PPP（BOT）", "BOT（特许经营）", "PPP+EPC",
    "合资经营". Each part counts, brackets included, and a part that names a known mode in
    other words ("合资经营", "参股") also counts as that mode.
    """
    if not raw:
        return set()
    text = raw.strip()
    parts = {
        p.strip().upper()
        for p in re.split(r"[/、,，;；+＋和及()（）\[\]【】]|\s+或\s+|\s+", text)
        if p.strip()
    }
    named = {
        values[0].upper()
        for values, pattern in COOP_PATTERNS
        for part in parts | {text}
        if re.search(pattern, part.lower())
    }
    return parts | named | {text.upper()}


class Interner:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.values: list[str] = []

    def get(self, value: str | None) -> int:
        if value is None:
            return -1
        i = self.ids.get(value)
        if i is None:
            i = self.ids[value] = len(self.values)
            self.values.append(value)
        return i


class Facets:
    """Columns aligned with the lexical slots."""

    COLUMNS = ("province", "city", "county", "stage", "coop", "batch")

    def __init__(self) -> None:
        self.n = 0
        self.inv = np.zeros(0, dtype=np.float64)
        self.priv = np.zeros(0, dtype=np.float64)
        self.year = np.zeros(0, dtype=np.float64)
        self.term = np.zeros(0, dtype=np.float64)
        self.cols = {c: np.zeros(0, dtype=np.int32) for c in self.COLUMNS}
        self.interners = {c: Interner() for c in self.COLUMNS}
        self.raw_region: list[str | None] = []

    def reserve(self, slot: int) -> None:
        """Make room for `slot` (left empty: it matches no filter)."""
        if slot >= len(self.inv):
            extra = max(1024, len(self.inv), slot + 1 - len(self.inv))
            self.inv = np.concatenate([self.inv, np.full(extra, np.nan)])
            self.priv = np.concatenate([self.priv, np.full(extra, np.nan)])
            self.year = np.concatenate([self.year, np.full(extra, np.nan)])
            self.term = np.concatenate([self.term, np.full(extra, np.nan)])
            for c in self.COLUMNS:
                self.cols[c] = np.concatenate([self.cols[c], np.full(extra, -1, np.int32)])
            self.raw_region.extend([None] * extra)
        self.n = max(self.n, slot + 1)

    def set(self, slot: int, rec: DocRecord) -> None:
        """Record the filter values of the document in `slot`."""
        self.reserve(slot)
        self.inv[slot] = np.nan if rec.investment is None else rec.investment
        self.priv[slot] = np.nan if rec.private_capital is None else rec.private_capital
        year = record_year(rec.published_on, rec.batch)
        self.year[slot] = np.nan if year is None else year
        self.term[slot] = np.nan if rec.term_years is None else rec.term_years
        path = gazetteer().parse(rec.region)
        values = {
            "province": path.province,
            "city": path.city,
            "county": path.county,
            "stage": canonical_stage(rec.stage),
            "coop": rec.cooperation,
            "batch": canonical_batch(rec.batch),
        }
        for c, v in values.items():
            self.cols[c][slot] = self.interners[c].get(v)
        self.raw_region[slot] = rec.region

    def take(self, slots: np.ndarray | None = None) -> Facets:
        """A copy holding these slots in this order (all of them if None): a save writes the
        copy while the original goes on changing; compaction keeps the live slots."""
        keep = np.arange(self.n) if slots is None else slots
        out = Facets()
        out.n = len(keep)
        out.inv, out.priv = self.inv[keep], self.priv[keep]
        out.year, out.term = self.year[keep], self.term[keep]
        out.cols = {c: self.cols[c][keep] for c in self.COLUMNS}
        for c in self.COLUMNS:
            out.interners[c].values = list(self.interners[c].values)
            out.interners[c].ids = dict(self.interners[c].ids)
        out.raw_region = [self.raw_region[s] for s in keep.tolist()]
        return out

    def save(self, directory: Path) -> None:
        """Write the columns (loading them is much faster than recomputing them)."""
        arrays: dict[str, np.ndarray] = {c: self.cols[c][: self.n] for c in self.COLUMNS}
        arrays["inv"], arrays["priv"] = self.inv[: self.n], self.priv[: self.n]
        arrays["year"], arrays["term"] = self.year[: self.n], self.term[: self.n]
        with open(directory / "facets.npz", "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        values = {c: self.interners[c].values for c in self.COLUMNS}
        (directory / "facets.json").write_text(json.dumps(values, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path, raw_regions: list[str | None]) -> Facets:
        """Read what `save` wrote; `raw_regions` per slot comes from the records."""
        self = cls()
        values = json.loads((directory / "facets.json").read_text("utf-8"))
        with np.load(directory / "facets.npz") as z:
            self.inv, self.priv = z["inv"].copy(), z["priv"].copy()
            self.year, self.term = z["year"].copy(), z["term"].copy()
            self.cols = {c: z[c].copy() for c in self.COLUMNS}
        for c in self.COLUMNS:
            self.interners[c].values = list(values[c])
            self.interners[c].ids = {v: i for i, v in enumerate(values[c])}
        self.n = len(self.inv)
        self.raw_region = list(raw_regions)
        if len(self.raw_region) != self.n:
            raise ValueError("facets and records disagree")
        return self

    def latest_batch(self, alive: np.ndarray) -> str | None:
        """The newest batch among live documents."""
        ids = np.unique(self.cols["batch"][: self.n][alive])
        values = [self.interners["batch"].values[i] for i in ids if i >= 0]
        return max(values, key=_batch_key) if values else None

    def resolve_batch(self, alive: np.ndarray, number: int | None) -> str | None:
        """The newest batch, or the newest one with this number (第四批 -> 2025-4)."""
        batches = self.batches(alive)
        if number:
            batches = [b for b in batches if b.endswith(f"-{number}")]
        return max(batches, key=_batch_key) if batches else None

    def batches(self, alive: np.ndarray) -> list[str]:
        ids = np.unique(self.cols["batch"][: self.n][alive])
        return [self.interners["batch"].values[i] for i in ids if i >= 0]

    def mask(self, pq: ParsedQuery, alive: np.ndarray) -> np.ndarray:
        """Live slots that pass every hard filter of the query."""
        m = alive.copy()
        u = pq.understanding
        for arr, lo, hi in (
            (self.inv, u.investment_min, u.investment_max),
            (self.priv, u.private_capital_min, u.private_capital_max),
            (self.year, u.published_year, u.published_year),
            (self.term, u.term_min, u.term_max),
        ):
            col = arr[: self.n]
            if lo is not None:
                m &= col >= lo * 0.999999
            if hi is not None:
                m &= col <= hi * 1.000001
        if u.stages:
            m &= self._isin("stage", lambda v: v in u.stages)
        if u.cooperation:
            wanted = {c.upper() for c in u.cooperation}
            m &= self._isin("coop", lambda v: bool(coop_parts(v) & wanted))
        batch = u.batch
        if batch:
            m &= self._isin("batch", lambda v: v == canonical_batch(batch))
        if u.exclude_stages:
            m &= ~self._isin("stage", lambda v: v in u.exclude_stages)
        if u.exclude_cooperation:
            unwanted = {c.upper() for c in u.exclude_cooperation}
            m &= ~self._isin("coop", lambda v: bool(coop_parts(v) & unwanted))
        if pq.exclude_places:
            m &= ~self._region_mask(pq.exclude_places, alive)
        if pq.places:
            m &= self._region_mask(pq.places, m)
        return m

    def _region_mask(self, places: list[Place], m: np.ndarray) -> np.ndarray:
        """Slots whose region lies inside any of the places."""
        region_mask = np.zeros(self.n, dtype=bool)
        for place in places:
            level = place.level if place.level in ("province", "city") else "county"
            region_mask |= self._isin(level, lambda v, p=place: v == p.name)
            # regions the gazetteer could not parse: fall back to the raw string
            unparsed = np.flatnonzero(m & (self.cols[level][: self.n] < 0))
            for s in unparsed.tolist():
                raw = self.raw_region[s] or ""
                if place.name in raw or (place.short and place.short in raw):
                    region_mask[s] = True
        return region_mask

    def _isin(self, column: str, pred: object) -> np.ndarray:
        interner = self.interners[column]
        ok = [i for i, v in enumerate(interner.values) if pred(v)]  # type: ignore[operator]
        return np.isin(self.cols[column][: self.n], np.asarray(ok, dtype=np.int32))


def _batch_key(batch: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", batch)) or (0,)
