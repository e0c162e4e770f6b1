"""One small codec for what users send back: button payloads and command arguments.

**Payloads** (aiogram's ``CallbackData``): a choice's value is a typed record packed as
``prefix:field:field``; handlers unpack it instead of slicing strings::

    @dataclass(frozen=True)
    class PickUnit(Payload, prefix="u"):
        unit_id: int

    PickUnit(12).pack() == "u:12";  PickUnit.unpack("u:12") == PickUnit(12);  PickUnit.unpack("x") is None

**Command arguments** (errbot's ``arg_botcmd``): an :class:`ArgSpec` lists a command's
arguments (a word from a closed set with Vietnamese synonyms, an id, a year, a date, free
text); ``spec.parse("ok 12")`` returns the values or raises :class:`ArgError` whose message
is the Vietnamese usage, and ``spec.format(verb="ok", id=12)`` writes the same command for a
button (``"/duyet ok 12"``), so what a button sends is what the parser reads.

The dispatcher also uses the spec to run a command typed as plain words with arguments
("duyệt ok 2", "tong hop 2024"): the words must parse, otherwise the text is not that command.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Self

from bot.text import fold

MAX_PAYLOAD = 64  # bytes: Telegram's limit for callback data
MAX_ID_DIGITS = 9  # beyond the INTEGER column range the database driver raises


class ArgError(ValueError):
    """Arguments that do not fit the command; the message is the Vietnamese explanation."""


def parse_id(text: str) -> int | None:
    """A record id typed or sent by the user (``12`` or ``#12``), or None.

    Only ASCII digits and at most 9 of them: ``"²".isdigit()`` is true but ``int("²")`` fails, and an id
    beyond the INTEGER column range makes the database driver raise instead of finding nothing.
    """
    digits = text.strip().removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= MAX_ID_DIGITS:
        return int(digits)
    return None


# ------------------------------------------------------------------ payloads
class Payload:
    """Base of the typed choice payloads (subclass as a frozen dataclass with ``prefix=``)."""

    prefix: ClassVar[str] = ""

    def __init_subclass__(cls, prefix: str = "", **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if prefix:
            if ":" in prefix or not prefix.isascii():
                raise ValueError(f"payload prefix {prefix!r} must be ASCII without ':'")
            cls.prefix = prefix

    def pack(self) -> str:
        parts = [self.prefix]
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = str(getattr(self, f.name))
            if ":" in value:
                raise ValueError(f"payload field {f.name} may not contain ':'")
            parts.append(value)
        packed = ":".join(parts)
        if len(packed.encode()) > MAX_PAYLOAD:
            raise ValueError(f"payload {packed[:20]}… is longer than {MAX_PAYLOAD} bytes")
        return packed

    @classmethod
    def unpack(cls, value: str | None) -> Self | None:
        """The payload ``value`` encodes, or None when it is another kind or malformed."""
        if not value:
            return None
        head, *parts = value.split(":")
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        if head != cls.prefix or len(parts) != len(fields):
            return None
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f, raw in zip(fields, parts, strict=True):
            if hints.get(f.name) is int:
                number = parse_id(raw)
                if number is None:
                    return None
                values[f.name] = number
            else:
                values[f.name] = raw
        return cls(**values)


# ------------------------------------------------------------- arguments
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text: str) -> date | None:
    """``20/12/2025``, ``20-12-2025``, ``20.12.2025`` or ISO ``2025-12-20``; None if not a real date."""
    text = text.strip()
    m = _ISO.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _DATE.match(text)
        if not m:
            return None
        d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def parse_year(text: str) -> int | None:
    """``2024`` or ``năm 2024`` (any case, diacritics optional) -> 2024."""
    words = fold(text).split()
    if words[:1] == ["nam"]:
        words = words[1:]
    if len(words) == 1 and words[0].isascii() and words[0].isdigit() and len(words[0]) == 4:
        return int(words[0])
    return None


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument: ``kind`` is ``word`` (one of ``words``), ``id``, ``year``, ``date`` or ``text``."""

    name: str
    kind: str
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> phrases typed
    optional: bool = False
    label: str = ""  # how the usage names it ("SỐ", "NĂM")


@dataclass(frozen=True, slots=True)
class ArgSpec:
    """A command's arguments, in order."""

    command: str
    args: tuple[Arg, ...]
    usage: str

    def parse(self, text: str) -> dict[str, Any]:
        words = (text or "").split()
        values: dict[str, Any] = {}
        pos = 0
        for arg in self.args:
            value, used = _take(arg, words, pos)
            if value is None and not arg.optional:
                raise ArgError(self._error(arg, words[pos:]))
            values[arg.name] = value
            pos += used
        if pos < len(words):
            raise ArgError(f"Không hiểu “{' '.join(words[pos:])[:60]}”.\n{self.usage}")
        return values

    def accepts(self, text: str) -> bool:
        try:
            self.parse(text)
        except ArgError:
            return False
        return True

    def format(self, **values: Any) -> str:
        """The command with these arguments, as a button sends it (``/duyet ok 12``)."""
        parts = [f"/{self.command}"]
        for arg in self.args:
            value = values.get(arg.name)
            if value is None:
                if not arg.optional:
                    raise ValueError(f"/{self.command}: missing {arg.name}")
                continue
            if arg.kind == "date" and isinstance(value, date):
                value = value.strftime("%d/%m/%Y")
            parts.append(str(value))
        return " ".join(parts)

    def _error(self, arg: Arg, rest: list[str]) -> str:
        got = " ".join(rest)[:60]
        what = {
            "id": "một số",
            "year": "năm có 4 chữ số (ví dụ 2025)",
            "date": "ngày dạng dd/mm/yyyy (ví dụ 20/12/2025)",
            "text": "nội dung",
        }.get(arg.kind, "một trong: " + ", ".join(arg.words))
        head = f"Cần {what}" + (f", nhận được “{got}”." if got else ".")
        return f"{head}\n{self.usage}"


def _take(arg: Arg, words: list[str], pos: int) -> tuple[Any, int]:
    """(value, words used) for ``arg`` at ``pos``; (None, 0) when it is not there."""
    if pos >= len(words):
        return None, 0
    if arg.kind == "text":
        return " ".join(words[pos:]), len(words) - pos
    if arg.kind == "word":
        return _take_word(arg, words, pos)
    if arg.kind == "year":
        for n in (2, 1):
            year = parse_year(" ".join(words[pos : pos + n]))
            if year is not None and pos + n <= len(words):
                return year, n
        return None, 0
    if arg.kind == "date":
        day = parse_date(words[pos])
        return (day, 1) if day is not None else (None, 0)
    if arg.kind == "id":
        number = parse_id(words[pos])
        return (number, 1) if number is not None else (None, 0)
    raise ValueError(f"unknown argument kind {arg.kind!r}")


def _take_word(arg: Arg, words: list[str], pos: int) -> tuple[Any, int]:
    folded = [fold(w) for w in words]
    best: tuple[str, int] | None = None
    for canonical, phrases in arg.words.items():
        for phrase in (canonical, *phrases):
            p = fold(phrase).split()
            if p and folded[pos : pos + len(p)] == p and (best is None or len(p) > best[1]):
                best = (canonical, len(p))
    return best if best is not None else (None, 0)
