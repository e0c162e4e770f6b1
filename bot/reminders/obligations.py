"""The knowledge pack's ``obligations.yaml`` as typed values.

The pack separates the directive's words (``source``) from this bot's defaults
(``settings``: due dates, reminder policy); see the comments in the YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.reminders.policy import Policy, PolicyError, day_month
from knowledge.pack import default_pack_dir

DEFAULT_PACK = default_pack_dir()
OWED_BY = ("addressed_units", "standing_office")
MET_BY = ("submission", "marked_done")


@dataclass(frozen=True, slots=True)
class Source:
    document: str
    ref: str
    quote: str
    note: str = ""

    def cite(self) -> str:
        return f"{self.ref}, Công văn {self.document}"


@dataclass(frozen=True, slots=True)
class Obligation:
    id: str
    title: str
    owed_by: str  # "addressed_units" | "standing_office"
    owed_to: str
    how_to_submit: str
    met_by: str  # "submission" | "marked_done"
    digest: bool
    source: Source
    default_due: str  # "dd/mm" — a SETTING, not the directive's words

    def default_due_date(self, year: int) -> date:
        return day_month(self.default_due, year)

    @property
    def per_unit(self) -> bool:
        return self.owed_by == "addressed_units"


@dataclass(frozen=True, slots=True)
class Obligations:
    period_start: int
    period_end: int
    document_number: str
    document_date: str
    issuer: str
    items: tuple[Obligation, ...]
    policy: Policy

    def get(self, obligation_id: str) -> Obligation:
        for ob in self.items:
            if ob.id == obligation_id:
                return ob
        raise KeyError(obligation_id)

    @property
    def unit_report(self) -> Obligation:
        """The per-unit obligation (the one ``/hanbaocao`` changes by default)."""
        for ob in self.items:
            if ob.per_unit:
                return ob
        raise KeyError("no per-unit obligation in the pack")

    def in_period(self, year: int) -> bool:
        return self.period_start <= year <= self.period_end


def parse(data: dict[str, Any]) -> Obligations:
    """Validate the YAML document; raises :class:`PolicyError` (Vietnamese) on any problem."""
    if not isinstance(data, dict):
        raise PolicyError("obligations.yaml phải là một bảng (mapping).")
    try:
        period = data["period"]
        start, end = int(period["start"]), int(period["end"])
        doc = data.get("document") or {}
        items: list[Obligation] = []
        seen: set[str] = set()
        for raw in data["obligations"]:
            ob_id = str(raw["id"])
            if ob_id in seen:
                raise PolicyError(f"obligations.yaml: nghĩa vụ “{ob_id}” bị lặp.")
            seen.add(ob_id)
            if raw["owed_by"] not in OWED_BY or raw["met_by"] not in MET_BY:
                raise PolicyError(f"obligations.yaml: “{ob_id}” có owed_by/met_by không hợp lệ.")
            src = raw["source"]
            ob = Obligation(
                id=ob_id,
                title=str(raw["title"]),
                owed_by=str(raw["owed_by"]),
                owed_to=str(raw["owed_to"]),
                how_to_submit=str(raw.get("how_to_submit", "/baocao")),
                met_by=str(raw["met_by"]),
                digest=bool(raw.get("digest", False)),
                source=Source(
                    document=str(src["document"]),
                    ref=str(src["ref"]),
                    quote=" ".join(str(src["quote"]).split()),
                    note=" ".join(str(src.get("note", "")).split()),
                ),
                default_due=str((raw.get("settings") or {})["default_due"]),
            )
            ob.default_due_date(start)  # validates the dd/mm setting
            items.append(ob)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PolicyError):
            raise
        raise PolicyError(f"obligations.yaml thiếu hoặc sai mục: {exc}") from exc
    if start > end:
        raise PolicyError("obligations.yaml: period.start phải ≤ period.end.")
    if not items:
        raise PolicyError("obligations.yaml không có nghĩa vụ nào.")
    return Obligations(
        period_start=start,
        period_end=end,
        document_number=str(doc.get("number", "")),
        document_date=str(doc.get("date", "")),
        issuer=str(doc.get("issuer", "")),
        items=tuple(items),
        policy=Policy.from_dict(data.get("policy")),
    )


def load(pack_folder: str | Path | None = None) -> Obligations:
    folder = Path(pack_folder) if pack_folder else DEFAULT_PACK
    path = folder / "obligations.yaml"
    if not path.is_file():
        raise PolicyError(f"Không tìm thấy {path}.")
    with path.open(encoding="utf-8") as fh:
        return parse(yaml.safe_load(fh))


def for_app(app: Any) -> Obligations:
    """The app's obligations, loaded once and kept in ``app.obligations``."""
    if isinstance(getattr(app, "obligations", None), Obligations):
        return app.obligations
    folder = getattr(getattr(app, "settings", None), "knowledge_pack", "") or None
    obligations = load(folder)
    if hasattr(app, "obligations"):
        app.obligations = obligations
    return obligations
