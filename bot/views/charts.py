"""The pictures /stats sends: matplotlib (Agg backend) drawn into PNG bytes.

Titles and labels come from the locale files; CJK text is drawn with a CJK font when one is
installed (fonts-wqy-microhei or fonts-noto-cjk), otherwise matplotlib's default is used.
"""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from bot.views.i18n import t

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Droid Sans Fallback")
SIZE = (8.0, 4.5)  # inches; at DPI this is 800 x 450 pixels
DPI = 100
COLOR, EMPTY_COLOR = "#2b6cb0", "#e07b39"


def _fonts() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in installed] + ["DejaVu Sans"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def _figure(left: float = 0.08) -> Figure:
    """A figure with fixed margins (a layout engine would cost more than the drawing)."""
    plt.rcParams["font.family"] = _fonts()
    fig = plt.figure(figsize=SIZE, dpi=DPI)
    fig.subplots_adjust(left=left, right=0.92, top=0.9, bottom=0.1)
    return fig


def searches_chart(lang: str, days: list[tuple[date, int, int]]) -> bytes:
    """Searches per day as bars, the share that found nothing as a line."""
    fig = _figure()
    ax = fig.add_subplot()
    x = list(range(len(days)))
    ax.bar(x, [n for _, n, _ in days], color=COLOR, label=t(lang, "admin.chart.searches"))
    ax.set_xticks(x[:: max(1, len(x) // 8)])
    ax.set_xticklabels([f"{d:%m-%d}" for d, _, _ in days][:: max(1, len(x) // 8)])
    share = ax.twinx()
    share.plot(
        x,
        [100 * e / n if n else 0 for _, n, e in days],
        color=EMPTY_COLOR,
        marker="o",
        label=t(lang, "admin.chart.empty_share"),
    )
    share.set_ylim(0, 100)
    share.set_ylabel("%")
    fig.subplots_adjust(top=0.82)
    fig.suptitle(t(lang, "admin.chart.searches_title"), y=0.98)
    fig.legend(loc="upper center", ncols=2, bbox_to_anchor=(0.5, 0.93), fontsize="small")
    return _png(fig)


def bars_chart(lang: str, title_key: str, items: list[tuple[str, int]]) -> bytes:
    """Horizontal bars, largest on top (leads by status, interest per project, gaps)."""
    fig = _figure(left=0.22)
    ax = fig.add_subplot()
    labels = [label for label, _ in items][::-1]
    values = [n for _, n in items][::-1]
    ax.barh(range(len(items)), values, color=COLOR)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels(labels)
    for y, value in enumerate(values):
        ax.text(value, y, f" {value}", va="center")
    if not items:
        ax.text(0.5, 0.5, t(lang, "admin.chart.nothing"), ha="center", transform=ax.transAxes)
    ax.set_title(t(lang, title_key))
    return _png(fig)
