"""Reading the header of a promotion list as offices write it: the wordings of each column,
units in a header ("总投资（亿元）") or a note above the table ("单位：万元"), a batch in a title
("2025年第一批推介项目清单").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.exchange import FIELDS
from catalog.numerals import zh_number

# Extra columns a sheet may have besides the exchange fields: the contact split in two, the
# running number (skipped).
CONTACT_PERSON, CONTACT_PHONE, SEQUENCE = "contact_person", "contact_phone", "sequence"

# Header wordings per field, compared after removing spaces, punctuation and units. Our own
# field names (and the export's "项目名称 / name" headers) are always understood.
WORDINGS: dict[str, tuple[str, ...]] = {
    "code": ("项目编号", "项目代码", "编号", "代码", "项目编码", "projectcode", "code"),
    "name": ("项目名称", "名称", "项目", "projectname", "project", "name"),
    "name_en": ("英文名称", "项目英文名称", "englishname", "nameen"),
    "batch": ("批次", "推介批次", "batch"),
    "published_on": ("发布日期", "发布时间", "推介日期", "publishedon", "published", "date"),
    "region": (
        "建设地点",
        "项目地址",
        "所在地区",
        "所在地",
        "项目所在地",
        "地区",
        "地点",
        "区域",
        "所属地区",
        "实施地点",
        "region",
        "location",
        "place",
    ),
    "industry": (
        "所属行业",
        "行业领域",
        "项目类别",
        "行业",
        "领域",
        "项目类型",
        "类别",
        "行业类别",
        "industry",
        "sector",
    ),
    "summary": (
        "建设内容及规模",
        "项目概况",
        "项目简介",
        "主要建设内容",
        "建设内容",
        "项目内容",
        "简介",
        "概况",
        "建设规模及内容",
        "主要建设内容及规模",
        "summary",
        "description",
    ),
    "summary_en": ("英文简介", "englishsummary", "summaryen"),
    "investment_cny": (
        "总投资",
        "计划总投资",
        "估算总投资",
        "项目总投资",
        "投资总额",
        "总投资额",
        "investmentcny",
        "totalinvestment",
        "investment",
    ),
    "private_capital_cny": (
        "拟引入民间资本",
        "拟吸引民间资本规模",
        "民间资本参与规模",
        "拟引入民间资本规模",
        "拟吸引民间资本",
        "民间资本",
        "拟引入社会资本",
        "拟引入民间投资",
        "拟引资额",
        "privatecapitalcny",
        "privatecapital",
    ),
    "cooperation": (
        "合作方式",
        "合作模式",
        "参与方式",
        "运作方式",
        "民间资本参与方式",
        "cooperation",
        "cooperationmode",
    ),
    "stage": (
        "项目进展",
        "前期工作进展",
        "建设阶段",
        "进展情况",
        "项目阶段",
        "阶段",
        "进展",
        "stage",
        "progress",
    ),
    "owner": ("项目单位", "业主单位", "实施单位", "项目业主", "责任单位", "申报单位", "owner"),
    CONTACT_PERSON: ("联系人", "项目联系人", "contactperson"),
    "contact": ("联系电话", "联系方式", "电话", "contact", "phone", "telephone"),
    "tags": ("标签", "tags"),
    "status": ("状态", "status"),
    SEQUENCE: ("序号", "no", "#", "number"),
}
_BY_WORDING = {w: field for field, words in WORDINGS.items() for w in words}
for _field in FIELDS:
    _BY_WORDING.setdefault(_field.replace("_", ""), _field)

YUAN_UNITS: dict[str, float] = {
    "亿元": 1e8,
    "亿": 1e8,
    "万元": 1e4,
    "万": 1e4,
    "千元": 1e3,
    "元": 1.0,
    "billionyuan": 1e9,
    "millionyuan": 1e6,
    "cnymillion": 1e6,
    "cnybillion": 1e9,
    "million": 1e6,
    "billion": 1e9,
    "yuan": 1.0,
    "cny": 1.0,
    "rmb": 1.0,
}
_UNIT_IN_HEADER = re.compile(r"[（(]\s*([^()（）]*?)\s*[)）]")
_UNIT_NOTE = re.compile(r"单位\s*[:：]\s*(亿元|万元|千元|元)|\bunits?\s*:\s*([a-z ]+)", re.I)
_NOISE = re.compile(r"[\s_\-·•:：、,，.。/／()（）\[\]【】*]+")
_BATCH_TITLE = re.compile(r"(\d{4})\s*年?\s*(?:度)?\s*第\s*([一二三四五六七八九十]+|\d+)\s*批")


@dataclass(frozen=True)
class Header:
    """One column's header: the text, the field it maps to (None: not understood), its unit."""

    column: int
    text: str
    field: str | None
    unit: float | None = None


def _key(text: str) -> str:
    return _NOISE.sub("", text.lower())


def unit_of(text: str) -> float | None:
    """The yuan multiplier a unit wording names ('亿元' -> 1e8), or None."""
    return YUAN_UNITS.get(_key(text))


def read_header(column: int, text: str) -> Header:
    """Map one header cell: its field, and the unit written in it ('总投资（亿元）')."""
    unit = None
    for found in _UNIT_IN_HEADER.findall(text):
        unit = unit_of(found) or unit
    bare = _UNIT_IN_HEADER.sub("", text)
    field = _BY_WORDING.get(_key(bare))
    if field is None:  # an export header "项目名称 / name", or "Total investment (CNY million)"
        for part in re.split(r"\s*[/／|｜]\s*", bare):
            field = field or _BY_WORDING.get(_key(part))
    if field is None:
        field = _BY_WORDING.get(_key(text))
    if (
        field in ("investment_cny", "private_capital_cny")
        and unit is None
        and _key(bare)
        in (
            "investmentcny",
            "privatecapitalcny",
        )
    ):
        unit = 1.0  # our own field names are in yuan
    return Header(column, text.strip(), field, unit)


def unit_note(text: str) -> float | None:
    """The unit a note above the table names ('单位：万元'), or None."""
    match = _UNIT_NOTE.search(text)
    if match is None:
        return None
    return unit_of(match.group(1) or match.group(2) or "")


def batch_of_title(text: str) -> str | None:
    """A batch named by a title: '2025年第一批…' -> '2025-1'."""
    match = _BATCH_TITLE.search(text)
    if match is None:
        return None
    count = zh_number(match.group(2))
    return f"{match.group(1)}-{int(count)}" if count else None
