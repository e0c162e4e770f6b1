"""A Times New Roman-compatible font file that has every Vietnamese letter, for the chart and for measuring
text (the rules under the letterhead lines are as long as the decree asks).

Debian ships two "Liberation Serif" families: version 1 lacks the letters with a dot below (ộ, ạ, ự), version
2 has them.  The first font among Times New Roman, Liberation Serif, DejaVu Serif whose file covers
:data:`PROBE` wins; DejaVu Serif comes with matplotlib, so there is always one.
"""

from __future__ import annotations

from functools import lru_cache

FAMILIES = ("Times New Roman", "Liberation Serif", "DejaVu Serif")
PROBE = "ĐđộạựậẫỹữẳƠƯ"


@lru_cache(maxsize=4)
def font_file(bold: bool = False) -> str:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    wanted = 700 if bold else 400
    for family in FAMILIES:
        for entry in font_manager.fontManager.ttflist:
            if entry.name != family or entry.style != "normal" or entry.weight != wanted:
                continue
            try:
                charmap = FT2Font(entry.fname).get_charmap()
            except (OSError, RuntimeError):
                continue
            if all(ord(c) in charmap for c in PROBE):
                return str(entry.fname)
    return str(font_manager.findfont(font_manager.FontProperties(family="DejaVu Serif", weight=wanted)))


def text_width_cm(text: str, size: float, bold: bool = False) -> float:
    """Printed width of ``text`` at ``size`` points."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_file(bold))
    font.set_size(size, 72)
    font.set_text(text)
    width, _height = font.get_width_height()
    return width / 64 / 72 * 2.54
