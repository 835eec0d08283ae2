"""Workbooks built the way promotion offices write them, for the .xlsx import tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook


def office_workbook(
    path: Path,
    *,
    second_sheet: bool = True,
    second_title: str | None = "2025年度第二批民间投资推介项目",
    rows: list[list[Any]] | None = None,
) -> Path:
    """Sheet 1: a merged title naming the batch, a units note in 亿元, a merged two-level
    header (投资规模 → 总投资 / 拟引入民间资本), 序号, a section row, a blank row and a 合计 row.
    Sheet 2 (optional): other wording, amounts in 万元 in the header, no codes, a title naming
    its batch (or none)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "推介项目清单"
    sheet.append(["2025年第一批向民间资本推介项目清单"])
    sheet.merge_cells("A1:I1")
    sheet.append([None, None, None, None, None, None, None, None, "单位：亿元"])
    sheet.append(
        [
            "序号",
            "项目名称",
            "建设地点",
            "所属行业",
            "建设内容及规模",
            "投资规模",
            None,
            "合作方式",
            "项目进展",
        ]
    )
    sheet.append([None, None, None, None, None, "总投资", "拟引入民间资本", None, None])
    sheet.merge_cells("F3:G3")
    for column in "ABCDEHI":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.append(["一、能源（2个）"])
    data = rows or [
        [
            1,
            "朔州风光储一体化项目",
            "山西省朔州市",
            "新能源",
            "建设风电200兆瓦、光伏100兆瓦及配套储能。",
            12,
            3.5,
            "股权合作",
            "前期工作推进中",
        ],
        [
            2,
            "大同氢能产业园",
            "山西省大同市",
            "氢能",
            "建设年产1万吨氢气的制氢工厂。",
            "8.5",
            "2亿",
            "合资",
            "已开工建设",
        ],
        [None] * 9,
        ["二、交通运输（1个）"],
        [
            3,
            "临汾物流枢纽",
            "山西省临汾市",
            None,
            "建设公铁联运物流园。",
            20,
            None,
            "PPP（BOT）",
            "在建",
        ],
    ]
    for row in data:
        sheet.append(row)
    sheet.append(["合计", None, None, None, None, 40.5, 5.5, None, None])
    if second_sheet:
        other = workbook.create_sheet("第二批")
        if second_title:
            other.append([second_title])
        other.append(
            [
                "项目名称",
                "项目地址",
                "行业领域",
                "项目简介",
                "计划总投资（万元）",
                "拟吸引民间资本规模（万元）",
                "运作方式",
                "建设阶段",
                "业主单位",
                "联系人",
                "联系电话",
                "备注",
            ]
        )
        other.append(
            [
                "忻州文旅小镇",
                "山西省忻州市",
                "文旅",
                "建设温泉度假小镇。",
                80000,
                30000,
                "独资",
                "已建成",
                "忻州文旅集团",
                "张三",
                "0350-1234567",
                "重点项目",
            ]
        )
    workbook.save(path)
    return path
