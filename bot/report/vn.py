"""Vietnamese formats of the report: numbers (1.234.567; 0,5), dates (dd/mm/yyyy) and the date line of
Decree 30/2020/NĐ-CP ("ngày 05 tháng 01 năm 2026": a zero before days below 10 and months 1 and 2)."""

from __future__ import annotations

from datetime import date, datetime


def number(n: int | float) -> str:
    """``1234567`` -> ``1.234.567``; ``0.5`` -> ``0,5`` (at most two decimals, trailing zeros dropped)."""
    if isinstance(n, float) and not n.is_integer():
        whole, _, frac = f"{n:,.2f}".rstrip("0").partition(".")
        return whole.replace(",", ".") + ("," + frac if frac else "")
    return f"{int(n):,}".replace(",", ".")


def money(n: int) -> str:
    return f"{number(n)} đồng"


def day(d: date | datetime) -> str:
    return d.strftime("%d/%m/%Y")


def day_time(d: datetime) -> str:
    return d.strftime("%d/%m/%Y %H:%M")


def decree_date(d: date) -> str:
    """``ngày 05 tháng 01 năm 2026`` / ``ngày 12 tháng 3 năm 2026`` (Decree 30/2020, Annex I)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def percent(part: int, whole: int) -> str:
    """``3, 4`` -> ``75%``; ``1, 3`` -> ``33,3%``."""
    if not whole:
        return "0%"
    return number(round(100 * part / whole, 1)) + "%"
