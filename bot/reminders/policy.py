"""When reminders fall due: pure functions of a due date, a policy and an instant.

Nothing here reads a clock, a database or a file, so every rule (weekends, overdue
series, period bounds, a changed due date, a reminder missed during downtime) is
tested with plain values.

Rules
- Before the due date (default 14, 7, 3 and 1 days), on the due date, then every
  ``overdue_every_days`` after it, at most ``overdue_count`` times; at ``send_at``
  local time.
- Saturdays and Sundays are avoided: a reminder before or on the due date moves back
  to the Friday (earlier warning, never after the deadline); an overdue reminder moves
  forward to the Monday (it cannot be "overdue" before it is). Two reminders landing on
  the same day keep only the one nearest the due date.
- A reminder's *kind* carries the due date (``before-7@2024-11-30``): the ledger key
  contains it, so a changed due date starts a fresh series while reminders already sent
  for the old date stay recorded.
- At an instant, at most one reminder of a series is *current*: the latest one whose
  time has come, until the next one's time or ``max_late`` after its own time. A
  reminder missed while the bot was down is therefore sent once, late; older missed
  ones are superseded, never sent in a burst.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Ho_Chi_Minh"
SATURDAY, SUNDAY = 5, 6


class PolicyError(ValueError):
    """An invalid policy or date; the message is Vietnamese and says what to fix."""


@dataclass(frozen=True, slots=True)
class Policy:
    before_days: tuple[int, ...] = (14, 7, 3, 1)
    on_due_day: bool = True
    overdue_every_days: int = 3
    overdue_count: int = 5
    send_at: time = time(8, 0)
    skip_weekends: bool = True
    max_late: timedelta = timedelta(days=3)
    tz: str = TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, tz: str = TIMEZONE) -> Policy:
        """Build from the pack's ``policy:`` mapping (unknown keys are an error: typos must not pass)."""
        data = dict(data or {})
        known = {
            "before_days",
            "on_due_day",
            "overdue_every_days",
            "overdue_count",
            "send_at",
            "skip_weekends",
            "max_late_days",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"Chính sách nhắc hạn có khóa không hợp lệ: {', '.join(unknown)}.")
        kwargs: dict[str, Any] = {"tz": tz}
        try:
            if "before_days" in data:
                days = tuple(int(d) for d in data["before_days"])
                if any(d < 1 for d in days):
                    raise PolicyError("before_days phải là các số ngày ≥ 1.")
                kwargs["before_days"] = tuple(sorted(set(days), reverse=True))
            if "on_due_day" in data:
                kwargs["on_due_day"] = bool(data["on_due_day"])
            if "overdue_every_days" in data:
                kwargs["overdue_every_days"] = int(data["overdue_every_days"])
                if kwargs["overdue_every_days"] < 1:
                    raise PolicyError("overdue_every_days phải ≥ 1.")
            if "overdue_count" in data:
                kwargs["overdue_count"] = int(data["overdue_count"])
                if kwargs["overdue_count"] < 0:
                    raise PolicyError("overdue_count phải ≥ 0.")
            if "send_at" in data:
                kwargs["send_at"] = parse_clock(str(data["send_at"]))
            if "skip_weekends" in data:
                kwargs["skip_weekends"] = bool(data["skip_weekends"])
            if "max_late_days" in data:
                late = float(data["max_late_days"])
                if late <= 0:
                    raise PolicyError("max_late_days phải > 0.")
                kwargs["max_late"] = timedelta(days=late)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, PolicyError):
                raise
            raise PolicyError(f"Chính sách nhắc hạn không hợp lệ: {exc}") from exc
        return cls(**kwargs)


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """One reminder time of a series."""

    at: datetime  # aware, local time zone
    label: str = field(compare=False)  # "before-14" | "due" | "overdue-2"
    due: date = field(compare=False)

    @property
    def kind(self) -> str:
        """Stable name used in the ledger key; includes the due date (see module docstring)."""
        return f"{self.label}@{self.due.isoformat()}"

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def overdue(self) -> bool:
        return self.label.startswith("overdue")


def _shift(day: date, backwards: bool) -> date:
    while day.weekday() in (SATURDAY, SUNDAY):
        day += timedelta(days=-1 if backwards else 1)
    return day


def slots_for(due: date, policy: Policy) -> list[Slot]:
    """Every reminder time for one due date, in order, weekends avoided, one per day."""
    nominal: list[tuple[int, str, date, bool]] = []  # (order, label, day, backwards)
    for n in sorted(set(policy.before_days), reverse=True):
        nominal.append((-n, f"before-{n}", due - timedelta(days=n), True))
    if policy.on_due_day:
        nominal.append((0, "due", due, True))
    for k in range(1, policy.overdue_count + 1):
        offset = k * policy.overdue_every_days
        nominal.append((offset, f"overdue-{k}", due + timedelta(days=offset), False))

    by_day: dict[date, tuple[int, str]] = {}
    for order, label, day, backwards in nominal:
        actual = _shift(day, backwards) if policy.skip_weekends else day
        kept = by_day.get(actual)
        if kept is None or order > kept[0]:  # keep the one nearest (or past) the due date
            by_day[actual] = (order, label)
    zone = policy.zone
    return sorted(
        Slot(datetime.combine(day, policy.send_at, tzinfo=zone), label, due)
        for day, (_order, label) in by_day.items()
    )


def valid_until(slots: Sequence[Slot], index: int, policy: Policy) -> datetime:
    """Until when ``slots[index]`` may still be sent (late): the next slot's time or ``max_late``."""
    limit = slots[index].at + policy.max_late
    if index + 1 < len(slots):
        limit = min(limit, slots[index + 1].at)
    return limit


def current_slot(slots: Sequence[Slot], now: datetime, policy: Policy) -> Slot | None:
    """The one reminder of the series to send at ``now`` (if not sent yet), or None."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    for i in range(len(slots) - 1, -1, -1):
        if slots[i].at <= now:
            return slots[i] if now < valid_until(slots, i, policy) else None
    return None


def upcoming(slots: Iterable[Slot], now: datetime) -> list[Slot]:
    """Slots strictly after ``now``."""
    return [s for s in slots if s.at > now]


def years_in_scope(start: int, end: int, open_years: Iterable[int] = ()) -> list[int]:
    """The directive's period plus the years an admin opened, sorted."""
    return sorted(set(range(start, end + 1)) | {int(y) for y in open_years})


_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*$")


def parse_vn_date(text: str) -> date:
    """``dd/mm/yyyy`` (also ``d/m/yyyy``, ``-`` or ``.`` as separators) -> date."""
    m = _DATE.match(text or "")
    if not m:
        raise PolicyError(f"Ngày “{text}” không đúng dạng dd/mm/yyyy (ví dụ 30/11/2025).")
    d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        raise PolicyError(f"Ngày “{text}” không tồn tại.") from None


def day_month(text: str, year: int) -> date:
    """A ``dd/mm`` default due date placed in ``year``."""
    m = _DAY_MONTH.match(str(text or ""))
    if not m:
        raise PolicyError(f"Hạn mặc định “{text}” phải có dạng dd/mm (ví dụ 30/11).")
    d, mo = int(m.group(1)), int(m.group(2))
    try:
        return date(year, mo, d)
    except ValueError:
        raise PolicyError(f"Hạn mặc định “{text}” không tồn tại trong năm {year}.") from None


def parse_clock(text: str) -> time:
    m = _CLOCK.match(text or "")
    if not m:
        raise PolicyError(f"Giờ gửi “{text}” phải có dạng HH:MM (ví dụ 08:00).")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise PolicyError(f"Giờ gửi “{text}” không hợp lệ.")
    return time(hour, minute)


def fmt_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def fmt_day(day: date) -> str:
    """``Thứ Sáu 29/11/2024``."""
    return f"{WEEKDAYS[day.weekday()]} {fmt_date(day)}"
