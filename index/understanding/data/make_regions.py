"""Regenerate regions.json from an adcode table (a developer tool, not used at run time).

Usage: python index/understanding/data/make_regions.py ADCODES.csv NATIONS.csv > index/understanding/data/regions.json
The adcode table is the one shipped by the MIT-licensed `cpca` package
(cpca/resources/adcodes.csv: adcode,name,longitude,latitude); pinyin comes from pypinyin.
"""

from __future__ import annotations

import csv
import json
import sys

from pypinyin import lazy_pinyin

# English names that are not the plain pinyin of the short name.
ENGLISH = {
    "内蒙古": ["inner mongolia", "nei mongol"],
    "陕西": ["shaanxi"],
    "西藏": ["tibet", "xizang"],
    "香港": ["hong kong"],
    "澳门": ["macau", "macao"],
    "广西": ["guangxi"],
    "呼和浩特": ["hohhot"],
    "乌鲁木齐": ["urumqi"],
    "拉萨": ["lhasa"],
    "哈尔滨": ["harbin"],
    "厦门": ["xiamen", "amoy"],
    "鄂尔多斯": ["ordos"],
    "乌兰察布": ["ulanqab"],
    "包头": ["baotou"],
    "喀什": ["kashgar", "kashi"],
}
PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
COUNTY_SUFFIXES = ("自治县", "自治旗", "特区", "新区", "县", "区", "市", "旗")
# Short forms that are ordinary words; the full name still matches.
AMBIGUOUS_SHORT = {"城", "郊", "矿", "东方", "中山", "开发", "和平", "新城", "城中", "白云", "永安"}


def strip_ethnic(name: str, nations: list[str]) -> str:
    """Drop the ethnic-group names that autonomous prefectures/counties carry (黔东南苗族侗族)."""
    changed = True
    while changed:
        changed = False
        for n in nations:
            for form in (n, n.removesuffix("族")):
                if len(form) >= 2 and name.endswith(form) and len(name) - len(form) >= 2:
                    name = name[: -len(form)]
                    changed = True
    return name


def short_name(name: str, suffixes: tuple[str, ...], nations: list[str]) -> str:
    """The name without its administrative suffix (and ethnic groups), if 2+ characters remain."""
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return strip_ethnic(name[: -len(suffix)], nations)
    return name


def pinyin_of(short: str) -> list[str]:
    """Plain pinyin (joined, lower case) plus any English form."""
    syllables = lazy_pinyin(short)
    # pypinyin's heteronym choices that place names do not use
    syllables = ["chang" if c == "长" else s for c, s in zip(short, syllables, strict=False)]
    out = ["".join(syllables).replace("lve", "lue").replace("nve", "nue")]
    if short == "陕西":  # plain pinyin would collide with 山西
        out = []
    out += ENGLISH.get(short, [])
    return list(dict.fromkeys(out))


def main() -> None:
    """Print the regions JSON."""
    with open(sys.argv[2], encoding="utf-8") as fh:
        nations = [line.strip() for line in fh if line.strip()]
    with open(sys.argv[1], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["adcode"][:6]: r["name"] for r in rows}
    out = []
    for code in sorted(names):
        name = names[code]
        prov, city = code[:2] + "0000", code[:4] + "00"
        sfx: tuple[str, ...]
        parent_p: str | None
        parent_c: str | None
        if code == prov:
            level, sfx, parent_p, parent_c = "province", PROVINCE_SUFFIXES, None, None
        elif code == city:
            level, sfx, parent_p, parent_c = "city", CITY_SUFFIXES, names.get(prov), None
        else:
            level, sfx = "county", COUNTY_SUFFIXES
            parent_p, parent_c = names.get(prov), names.get(city)
            if parent_c in ("市辖区", "县") or "直辖" in (parent_c or ""):
                parent_c = None
        if name == "市辖区" or (prov in ("710000", "810000", "820000") and level != "province"):
            continue
        short = short_name(name, sfx, nations)
        entry = {"code": code, "name": name, "level": level, "province": parent_p, "city": parent_c}
        if short != name and short not in AMBIGUOUS_SHORT:
            entry["short"] = short
        entry["pinyin"] = pinyin_of(short)
        out.append(entry)
    sys.stdout.write("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in out) + "\n]\n")


if __name__ == "__main__":
    main()
