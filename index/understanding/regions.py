"""Chinese places: provinces, cities and counties with short, pinyin and English names."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "regions.json"
LEVELS = {"province": 0, "city": 1, "county": 2}

# Macro-regions people name instead of a province (西部大开发, 长三角 ...).
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "西部": (
        ("西部地区", "西部", "western china", "west china", "western region"),
        (
            "重庆",
            "四川",
            "贵州",
            "云南",
            "西藏",
            "陕西",
            "甘肃",
            "青海",
            "宁夏",
            "新疆",
            "内蒙古",
            "广西",
        ),
    ),
    "东部": (
        ("东部地区", "东部沿海", "东部", "eastern china", "east china", "coastal china"),
        ("北京", "天津", "河北", "上海", "江苏", "浙江", "福建", "山东", "广东", "海南"),
    ),
    "中部": (
        ("中部地区", "中部", "central china"),
        ("山西", "安徽", "江西", "河南", "湖北", "湖南"),
    ),
    "东北": (
        ("东北地区", "东三省", "东北", "northeast china", "northeastern china"),
        ("辽宁", "吉林", "黑龙江"),
    ),
    "长三角": (
        ("长三角", "长江三角洲", "yangtze river delta", "yangtze delta"),
        ("上海", "江苏", "浙江", "安徽"),
    ),
    "珠三角": (
        ("珠三角", "珠江三角洲", "pearl river delta"),
        ("广州", "深圳", "珠海", "佛山", "惠州", "东莞", "中山", "江门", "肇庆"),
    ),
    "京津冀": (("京津冀", "beijing-tianjin-hebei"), ("北京", "天津", "河北")),
    "成渝": (
        ("成渝地区", "成渝", "chengdu-chongqing"),
        (
            "成都",
            "重庆",
            "自贡",
            "泸州",
            "德阳",
            "绵阳",
            "遂宁",
            "内江",
            "乐山",
            "南充",
            "眉山",
            "宜宾",
            "广安",
            "达州",
            "雅安",
            "资阳",
        ),
    ),
    "西北": (
        ("西北地区", "西北", "northwest china", "northwestern china"),
        ("陕西", "甘肃", "青海", "宁夏", "新疆"),
    ),
    "西南": (
        ("西南地区", "西南", "southwest china", "southwestern china"),
        ("重庆", "四川", "贵州", "云南", "西藏"),
    ),
}


@dataclass(frozen=True)
class Place:
    name: str  # full official name, e.g. 太原市
    level: str  # province | city | county
    province: str | None
    city: str | None
    short: str | None
    pinyin: tuple[str, ...]

    @property
    def canonical(self) -> str:
        """Full path such as 山西省太原市清徐县."""
        return "".join(p for p in (self.province, self.city, self.name) if p)

    @property
    def label(self) -> str:
        """The name people use: 山西 / 太原 / 清徐县."""
        return self.short or self.name


@dataclass(frozen=True)
class RegionPath:
    province: str | None
    city: str | None
    county: str | None


class Gazetteer:
    """All places, looked up by any of their names; counties only when a catalog uses them."""

    def __init__(self) -> None:
        rows = json.loads(DATA.read_text(encoding="utf-8"))
        self.places: list[Place] = [
            Place(
                r["name"],
                r["level"],
                r.get("province"),
                r.get("city"),
                r.get("short"),
                tuple(r.get("pinyin", ())),
            )
            for r in rows
            if len(r["name"]) >= 2 and "直辖" not in r["name"]
        ]
        self.by_alias: dict[str, list[Place]] = {}
        self.by_pinyin: dict[str, list[Place]] = {}
        self.active_counties: set[Place] = set()
        self._lock = threading.Lock()
        for place in self.places:
            for alias in {place.name, place.short} - {None}:
                self.by_alias.setdefault(str(alias), []).append(place)
        self.max_alias = max(len(a) for a in self.by_alias)
        self.provinces = [p for p in self.places if p.level == "province"]
        self.province_by_short = {p.label: p for p in self.provinces}
        self.cities_of: dict[str | None, list[Place]] = {}
        self.counties_of: dict[str | None, list[Place]] = {}
        for place in self.places:
            if place.level == "city":
                self.cities_of.setdefault(place.province, []).append(place)
            elif place.level == "county":
                self.counties_of.setdefault(place.city or place.province, []).append(place)
        for place in self.places:
            if place.level != "county":
                self._add_pinyin(place)

    def _add_pinyin(self, place: Place) -> None:
        for py in place.pinyin:
            if len(py) >= 4 or " " in py:
                self.by_pinyin.setdefault(py, []).append(place)

    def activate(self, region: str | None) -> None:
        """A catalog uses this region string: its county becomes findable by short/pinyin name."""
        path = self.parse(region)
        if not path.county:
            return
        for place in self.by_alias.get(path.county, []):
            if place.level == "county" and place.province == path.province:
                with self._lock:
                    if place not in self.active_counties:
                        self.active_counties.add(place)
                        self._add_pinyin(place)

    @lru_cache(maxsize=65536)  # noqa: B019 - one gazetteer per process
    def parse(self, region: str | None) -> RegionPath:
        """Split a project's region string into canonical province / city / county."""
        if not region:
            return RegionPath(None, None, None)
        rest = region.strip()
        province = city = county = None
        for p in sorted(self.provinces, key=lambda p: -len(p.name)):
            for alias in (p.name, p.short):
                if alias and rest.startswith(alias):
                    province, rest = p, rest[len(alias) :]
                    break
            if province:
                break
        cities = (
            self.cities_of.get(province.name if province else None, [])
            if province
            else [c for c in self.places if c.level == "city"]
        )
        for c in sorted(cities, key=lambda c: -len(c.name)):
            for alias in (c.name, c.short):
                if alias and rest.startswith(alias):
                    # without a province, 朝阳区 is a district somewhere, not 朝阳市
                    if (
                        province is None
                        and alias == c.short
                        and rest[len(alias) : len(alias) + 1] in ("区", "县", "旗")
                    ):
                        continue
                    city, rest = c, rest[len(alias) :]
                    break
            if city:
                break
        if province is None and city is not None:
            province = self.province_by_name(city.province)
        parent = city.name if city else (province.name if province else None)
        for k in sorted(self.counties_of.get(parent, []), key=lambda k: -len(k.name)):
            if rest.startswith(k.name):
                county = k
                break
        if province is None and city is None:
            # a bare county ("清徐县"): accept it when its full name is unique in China
            cands = [
                k
                for length in range(min(len(rest), self.max_alias), 2, -1)
                for k in self.by_alias.get(rest[:length], [])
                if k.level == "county" and k.name == rest[:length]
            ]
            if len(cands) == 1:
                county = cands[0]
                province = self.province_by_name(county.province)
                city = next(
                    (c for c in self.cities_of.get(county.province, []) if c.name == county.city),
                    None,
                )
        return RegionPath(
            province.name if province else None,
            city.name if city else None,
            county.name if county else None,
        )

    def province_by_name(self, name: str | None) -> Place | None:
        """The province with this full name."""
        for p in self.provinces:
            if p.name == name:
                return p
        return None

    def usable(self, place: Place, alias: str) -> bool:
        """Counties count only by full name (3+ chars) or when the catalog uses them."""
        if place.level != "county":
            return True
        return place in self.active_counties or (alias == place.name and len(alias) >= 3)

    def find(self, text: str) -> list[tuple[int, int, list[Place]]]:
        """Places named in normalised text: (start, end, candidate places), left to right."""
        found: list[tuple[int, int, list[Place]]] = []
        i = 0
        while i < len(text):
            hit = None
            for length in range(min(self.max_alias, len(text) - i), 1, -1):
                alias = text[i : i + length]
                cands = [p for p in self.by_alias.get(alias, []) if self.usable(p, alias)]
                if cands:
                    best = min(LEVELS[p.level] for p in cands)
                    hit = (i, i + length, [p for p in cands if LEVELS[p.level] == best])
                    break
            if hit:
                found.append(hit)
                i = hit[1]
            else:
                i += 1
        words = [
            (m.start(), m.end(), m.group(0).replace("'", ""))
            for m in re.finditer(r"[a-z]+(?:'[a-z]+)?", text)
        ]
        j = 0
        while j < len(words):
            step = 0
            if j + 1 < len(words):
                for key in (f"{words[j][2]} {words[j + 1][2]}", words[j][2] + words[j + 1][2]):
                    if key in self.by_pinyin:
                        step, places = 2, self.by_pinyin[key]
                        break
            if not step and words[j][2] in self.by_pinyin:
                step, places = 1, self.by_pinyin[words[j][2]]
            if step:
                best = min(LEVELS[p.level] for p in places)
                found.append(
                    (
                        words[j][0],
                        words[j + step - 1][1],
                        [p for p in places if LEVELS[p.level] == best],
                    )
                )
                j += step
            else:
                j += 1
        return sorted(found, key=lambda f: f[0])

    def matches(self, place: Place, region: str | None) -> bool:
        """Whether a project's region string lies inside `place`."""
        if not region:
            return False
        path = self.parse(region)
        if place.level == "province":
            return path.province == place.name
        if place.level == "city":
            return path.city == place.name or (path.city is None and place.name in region)
        return path.county == place.name or (path.county is None and place.name in region)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (loaded once)."""
    return Gazetteer()


def find_group(text: str) -> tuple[int, int, str, list[Place]] | None:
    """A macro-region (西部, 长三角, western China ...) named in normalised text."""
    gaz = gazetteer()
    for key, (aliases, members) in GROUPS.items():
        for alias in aliases:
            pos = text.find(alias)
            if pos >= 0:
                places = [
                    p
                    for m in members
                    for p in gaz.by_alias.get(m, [])
                    if p.level in ("province", "city")
                ]
                return pos, pos + len(alias), key, places
    return None


def match_region(text: str) -> str | None:
    """The canonical name of the first place named in `text` (e.g. "山西省太原市"), if any."""
    from index.understanding.text import normalize

    found = gazetteer().find(normalize(text))
    return found[0][2][0].canonical if found else None


def province_of(region: str) -> str | None:
    """The province (full name) a region string or place name lies in."""
    gaz = gazetteer()
    path = gaz.parse(region)
    if path.province:
        return path.province
    found = gaz.find(region)
    if found:
        place = found[0][2][0]
        return place.name if place.level == "province" else place.province
    return None
