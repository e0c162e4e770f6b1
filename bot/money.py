"""Amounts of Vietnamese đồng as officials type them, parsed to an integer number of đồng.

Accepted: ``150000000``, ``150.000.000``, ``150,000,000``, ``150 000 000``, ``150000000 đồng``,
``150 triệu``, ``150tr``, ``1,5 tỷ``, ``1.5 tỷ``, ``2 tỷ 500 triệu``, ``500 nghìn``, ``500k``,
``1,2 triệu đồng``, ``VND 150.000.000`` (diacritics optional).

Separators: in a number followed by a unit word, a single ``,`` or ``.`` is a decimal
mark unless exactly three digits follow it (``1.500 triệu`` is one thousand five
hundred million); in a bare number, ``.``/``,``/space groups of three are thousands.
"""

from __future__ import annotations

import re
import unicodedata

MAX_VND = 10**15  # a thousand trillion: anything larger is a typo

UNITS: dict[str, int] = {
    "ty": 10**9,
    "ti": 10**9,
    "trieu": 10**6,
    "tr": 10**6,
    "nghin": 10**3,
    "ngan": 10**3,
    "k": 10**3,
}
CURRENCY = ("dong", "d", "vnd", "vnđ")

_TOKEN = re.compile(r"(\d[\d.,\s]*)\s*([a-z]*)")


class MoneyError(ValueError):
    """The text is not an amount; the message says why, in Vietnamese."""


def strip_marks(text: str) -> str:
    """Lower case without diacritics, keeping punctuation (``1,5`` must stay a number)."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(c for c in text if not unicodedata.combining(c))


def _number(raw: str, with_unit: bool) -> float:
    s = raw.strip().replace(" ", "")
    if sum(ch.isdigit() for ch in s) > 18:
        raise MoneyError("Số tiền quá lớn, vui lòng kiểm tra lại.")
    s = s.rstrip(".,")
    if not s:
        raise MoneyError("Thiếu số tiền.")
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        # The last separator is the decimal mark: 1.234,5 or 1,234.5
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if dec == "," else ","
        head, _, tail = s.rpartition(dec)
        if not _grouped(head, thousands):
            raise MoneyError(f"Không đọc được số “{raw.strip()}”.")
        return float(head.replace(thousands, "") + "." + tail)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return float(s)
    parts = s.split(sep)
    decimal = len(parts[1]) != 3 if with_unit else len(parts[1]) in (1, 2)
    if len(parts) == 2 and decimal:
        return float(parts[0] + "." + parts[1])  # decimal mark: 1,5 tỷ ; 150000,50
    if _grouped(s, sep):
        return float(s.replace(sep, ""))
    raise MoneyError(f"Không đọc được số “{raw.strip()}”.")


def _grouped(s: str, sep: str) -> bool:
    """``1.234.567``: a first group of 1–3 digits, then groups of exactly 3."""
    parts = s.split(sep)
    return parts[0].isdigit() and len(parts[0]) <= 3 and all(len(p) == 3 and p.isdigit() for p in parts[1:])


def parse_vnd(text: str) -> int:
    """Parse an amount in đồng; raises :class:`MoneyError` with a Vietnamese message.

    Never truncates: an amount with a fraction of a đồng (``0,5``) is refused, and so is a bare
    number below 1.000 (``1`` đồng is a slip, not a budget: "1 triệu"?)."""
    if text is None or not str(text).strip():
        raise MoneyError("Chưa nhập số tiền.")
    s = strip_marks(str(text)).strip()
    if s.startswith("-") or s.startswith("am "):
        raise MoneyError("Số tiền không được âm.")
    for cur in ("vnd", "vnđ"):
        s = s.replace(cur, " ")
    s = re.sub(r"\bdong\b", " ", s)
    s = re.sub(r"(?<=\d)d\b", " ", s)  # "150.000đ"
    s = re.sub(r"\bd\b", " ", s)  # "500 triệu đ"
    s = s.strip()
    if not s:
        raise MoneyError("Chưa nhập số tiền.")
    total, scaled = scaled_number(s)
    if abs(total - round(total)) > 1e-6:
        raise MoneyError(
            f"“{str(text).strip()[:40]}” không phải số đồng chẵn. "
            "Ghi kèm đơn vị, ví dụ 0,5 tỷ hoặc 500 triệu."
        )
    value = round(total)
    if not scaled and 0 < value < 1000:
        raise MoneyError(
            f"{value} đồng là quá nhỏ cho một khoản kinh phí. Ghi kèm đơn vị, "
            f"ví dụ {value} triệu hoặc {value} nghìn; hoặc ghi đủ số, ví dụ 150.000.000."
        )
    if value > MAX_VND:
        raise MoneyError("Số tiền quá lớn, vui lòng kiểm tra lại.")
    return int(value)


def scaled_number(text: str) -> tuple[float, bool]:
    """``2 tỷ 500 triệu`` -> (2_500_000_000.0, True); ``1.234`` -> (1234.0, False).

    ``text`` is folded already (no diacritics).  Raises :class:`MoneyError` with the reason."""
    pos, total, last_scale = 0, 0.0, None
    s = text
    while pos < len(s):
        if s[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(s, pos)
        if not m:
            raise MoneyError(
                "Không đọc được số tiền. Ví dụ hợp lệ: 150 triệu, 1,5 tỷ, 150.000.000 hoặc 150000000 đồng."
            )
        digits, word = m.group(1), m.group(2)
        if word and word not in UNITS:
            raise MoneyError(f"Không hiểu đơn vị “{word}”. Dùng đồng, nghìn, triệu hoặc tỷ.")
        scale = UNITS.get(word, 1)
        if last_scale is not None and scale >= last_scale:
            raise MoneyError("Số tiền viết chưa đúng thứ tự (ví dụ đúng: 2 tỷ 500 triệu).")
        total += _number(digits, with_unit=bool(word)) * scale
        last_scale = scale
        pos = m.end()
    if last_scale is None:
        raise MoneyError("Chưa nhập số tiền.")
    if total < 0:
        raise MoneyError("Số tiền không được âm.")
    return total, any(ch.isalpha() for ch in s)


def format_vnd(amount: int) -> str:
    """``150000000`` -> ``150.000.000 đồng``."""
    return f"{amount:,}".replace(",", ".") + " đồng"
