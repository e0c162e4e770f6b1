"""Schedule computation: weekends, overdue series, period bounds, a changed due date, downtime."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.reminders import obligations as obligations_mod
from bot.reminders.policy import (
    Policy,
    PolicyError,
    current_slot,
    day_month,
    fmt_day,
    parse_clock,
    parse_vn_date,
    slots_for,
    upcoming,
    years_in_scope,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
P = Policy()


def at(day: date, hh: int = 8, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=VN)


def labels(slots) -> list[tuple[str, date]]:
    return [(s.label, s.day) for s in slots]


def test_default_series_on_weekdays():
    # 20/11/2024 is a Wednesday; -14, -7 are Wednesdays; -3 Sunday -> Friday 15/11; -1 Tuesday.
    due = date(2024, 11, 20)
    got = labels(slots_for(due, P))
    assert got == [
        ("before-14", date(2024, 11, 6)),
        ("before-7", date(2024, 11, 13)),
        ("before-3", date(2024, 11, 15)),  # Sunday 17/11 moved back to Friday
        ("before-1", date(2024, 11, 19)),
        ("due", date(2024, 11, 20)),
        ("overdue-1", date(2024, 11, 25)),  # Saturday 23/11 moved forward to Monday
        ("overdue-2", date(2024, 11, 26)),
        ("overdue-3", date(2024, 11, 29)),
        ("overdue-4", date(2024, 12, 2)),
        ("overdue-5", date(2024, 12, 5)),
    ]
    for s in slots_for(due, P):
        assert s.day.weekday() < 5
        assert s.at.timetz() == time(8, 0, tzinfo=VN)
        assert s.at.tzinfo is VN


def test_due_on_saturday_collapses_to_one_friday_reminder():
    # 30/11/2024 is a Saturday: "due" and "before-1" (Friday 29/11) land on the same Friday.
    due = date(2024, 11, 30)
    slots = slots_for(due, P)
    days = [s.day for s in slots]
    assert len(days) == len(set(days)), "never two reminders on one day"
    fri = [s for s in slots if s.day == date(2024, 11, 29)]
    assert [s.label for s in fri] == ["due"]  # the one nearest the due date wins
    assert all(s.day <= due for s in slots if not s.overdue)
    assert all(s.day > due for s in slots if s.overdue)
    assert fmt_day(date(2024, 11, 29)) == "Thứ Sáu 29/11/2024"


def test_weekends_kept_when_disabled_and_overdue_count_configurable():
    policy = Policy(
        skip_weekends=False, overdue_count=2, overdue_every_days=4, before_days=(2,), on_due_day=False
    )
    got = labels(slots_for(date(2024, 11, 30), policy))
    assert got == [
        ("before-2", date(2024, 11, 28)),
        ("overdue-1", date(2024, 12, 4)),
        ("overdue-2", date(2024, 12, 8)),  # a Sunday, kept
    ]
    assert labels(slots_for(date(2024, 11, 30), Policy(overdue_count=0)))[-1][0] == "due"


def test_kind_carries_due_date_so_a_changed_due_date_starts_a_new_series():
    old = {s.kind for s in slots_for(date(2024, 11, 29), P)}
    new = {s.kind for s in slots_for(date(2024, 12, 13), P)}
    assert not old & new
    assert "before-7@2024-12-13" in new


def test_current_slot_is_the_latest_that_came_and_only_until_the_next():
    slots = slots_for(date(2024, 11, 20), P)
    assert current_slot(slots, at(date(2024, 11, 6), 7, 59), P) is None
    assert current_slot(slots, at(date(2024, 11, 6)), P).label == "before-14"
    assert current_slot(slots, at(date(2024, 11, 8), 17), P).label == "before-14"  # 2 days late: still sent
    # Down from 5/11 to 14/11 09:00: before-14 is superseded by before-7, sent once, late.
    assert current_slot(slots, at(date(2024, 11, 14), 9), P).label == "before-7"
    assert current_slot(slots, at(date(2024, 11, 20), 8, 0), P).label == "due"
    # After the last overdue reminder plus max_late nothing is current any more.
    last = slots[-1]
    assert current_slot(slots, last.at + timedelta(days=2, hours=23), P).label == last.label
    assert current_slot(slots, last.at + timedelta(days=3), P) is None


def test_missed_reminder_expires_after_max_late_when_the_gap_is_long():
    policy = Policy(before_days=(14,), on_due_day=False, overdue_count=0, max_late=timedelta(days=2))
    slots = slots_for(date(2024, 11, 20), policy)
    assert current_slot(slots, at(date(2024, 11, 7), 20), policy).label == "before-14"
    assert current_slot(slots, at(date(2024, 11, 8), 8), policy) is None


def test_now_in_another_time_zone_and_naive_now_rejected():
    slots = slots_for(date(2024, 11, 20), P)
    utc_0100 = datetime(2024, 11, 6, 1, 0, tzinfo=ZoneInfo("UTC"))  # = 08:00 in Hanoi
    assert current_slot(slots, utc_0100, P).label == "before-14"
    with pytest.raises(ValueError):
        current_slot(slots, datetime(2024, 11, 6, 9), P)


def test_upcoming():
    slots = slots_for(date(2024, 11, 20), P)
    nxt = upcoming(slots, at(date(2024, 11, 19), 8))
    assert nxt[0].label == "due"


def test_period_bounds_and_opened_years():
    assert years_in_scope(2021, 2025) == [2021, 2022, 2023, 2024, 2025]
    assert years_in_scope(2021, 2025, [2026, "2027", 2025]) == [2021, 2022, 2023, 2024, 2025, 2026, 2027]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/11/2025", date(2025, 11, 30)),
        ("1/2/2026", date(2026, 2, 1)),
        (" 05-12-2025 ", date(2025, 12, 5)),
        ("15.12.2025", date(2025, 12, 15)),
    ],
)
def test_parse_vn_date(text, expected):
    assert parse_vn_date(text) == expected


@pytest.mark.parametrize("text", ["31/11/2025", "2025-11-30", "30/11", "", "ba mươi"])
def test_parse_vn_date_rejects_with_vietnamese_message(text):
    with pytest.raises(PolicyError) as exc:
        parse_vn_date(text)
    assert "Ngày" in str(exc.value)


def test_day_month_and_clock():
    assert day_month("30/11", 2024) == date(2024, 11, 30)
    with pytest.raises(PolicyError):
        day_month("29/02", 2025)
    assert parse_clock("8h") == time(8, 0)
    assert parse_clock("07:30") == time(7, 30)
    with pytest.raises(PolicyError):
        parse_clock("25:00")


def test_policy_from_dict_validates():
    p = Policy.from_dict(
        {"before_days": [1, 7, 7], "send_at": "07:30", "overdue_count": 2, "max_late_days": 1}
    )
    assert p.before_days == (7, 1)
    assert p.send_at == time(7, 30)
    assert p.max_late == timedelta(days=1)
    with pytest.raises(PolicyError, match="khóa không hợp lệ"):
        Policy.from_dict({"before_day": [1]})
    with pytest.raises(PolicyError):
        Policy.from_dict({"overdue_every_days": 0})
    with pytest.raises(PolicyError):
        Policy.from_dict({"before_days": ["x"]})


def test_pack_obligations_load_and_quote_the_directive():
    obs = obligations_mod.load()
    assert (obs.period_start, obs.period_end) == (2021, 2025)
    assert obs.unit_report.id == "unit-annual-report"
    assert obs.unit_report.default_due_date(2024) == date(2024, 11, 30)
    assert obs.get("compiled-annual-report").default_due_date(2024) == date(2024, 12, 15)
    assert obs.policy == Policy()  # the pack's policy is the documented default
    text = (Path(obligations_mod.DEFAULT_PACK) / "text.md").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    for ob in obs.items:
        assert ob.source.ref == "Mục 2"
        assert ob.source.quote in flat, "the source quote must be the directive's exact words"


def test_pack_obligations_reject_bad_data():
    with pytest.raises(PolicyError):
        obligations_mod.parse({"period": {"start": 2021, "end": 2025}, "obligations": []})
    with pytest.raises(PolicyError):
        obligations_mod.parse({"period": {"start": 2021, "end": 2025}, "obligations": [{"id": "x"}]})
    good = {
        "id": "x",
        "title": "t",
        "owed_by": "addressed_units",
        "owed_to": "o",
        "met_by": "submission",
        "source": {"document": "d", "ref": "r", "quote": "q"},
        "settings": {"default_due": "31/02"},
    }
    with pytest.raises(PolicyError, match="không tồn tại"):
        obligations_mod.parse({"period": {"start": 2021, "end": 2025}, "obligations": [good]})
