"""The report's chart: units that reported, by category (PNG).

matplotlib with the Agg canvas and no pyplot (no global figure state, safe in a worker thread), imported
only here; every text uses a font file that has all Vietnamese letters (:mod:`bot.report.fonts`).
"""

from __future__ import annotations

import io
import textwrap

from bot.report.data import CategoryStat
from bot.report.fonts import font_file

DONE, LEFT = "#1f4e79", "#c9d3de"


def units_by_category(stats: list[CategoryStat], dpi: int = 150) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    def font(size: float) -> FontProperties:
        return FontProperties(fname=font_file(), size=size)

    fig = Figure(figsize=(6.3, 0.55 * max(len(stats), 1) + 1.3), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(stats)))[::-1]
    done = [c.submitted for c in stats]
    ax.barh(ys, done, color=DONE, label="Đã gửi báo cáo")
    ax.barh(ys, [c.total - c.submitted for c in stats], left=done, color=LEFT, label="Chưa gửi")
    for y, c in zip(ys, stats, strict=True):
        ax.text(c.total, y, f" {c.submitted}/{c.total}", va="center", fontproperties=font(9))
    ax.set_yticks(ys, [textwrap.fill(c.label, 30) for c in stats])
    for label in ax.get_yticklabels() + ax.get_xticklabels():
        label.set_fontproperties(font(9))
    ax.set_xlabel("Số đơn vị", fontproperties=font(9))
    ax.set_xlim(0, max([c.total for c in stats] + [1]) * 1.18)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(prop=font(8), loc="lower right", frameon=False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
