"""Jinja2 templates (autoescaped) and the helpers they use: Vietnamese numbers, dates, the SVG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

HERE = Path(__file__).resolve().parent

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(n: Any) -> str:
    """1.234.567 (Vietnamese thousands separator)."""
    try:
        return f"{int(n):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


def size(n: Any) -> str:
    from bot.forms import _size

    return _size(int(n or 0))


_env.filters["number"] = number
_env.filters["size"] = size


def bars(categories: list[Any], width: int = 640, row: int = 46) -> dict[str, Any]:
    """Geometry of the stacked bar chart (on time, late, missing per category), in SVG units:
    each category's name on its own line, its bar under it, ``submitted/total`` at the end."""
    plot = width - 70
    out = []
    for i, c in enumerate(categories):
        scale = plot / max(c.total, 1)
        on, late = c.on_time * scale, c.late * scale
        missing = (c.total - c.submitted) * scale
        y = i * row
        out.append(
            {
                "label": c.label,
                "ly": y + 15,
                "y": y + 21,
                "h": 18,
                "ty": y + 35,
                "segments": [("on", 0.0, on), ("late", on, late), ("missing", on + late, missing)],
                "text": f"{c.submitted}/{c.total}",
                "tx": plot + 8,
            }
        )
    return {"width": width, "height": max(len(categories), 1) * row + 4, "rows": out}


_env.globals["bars"] = bars


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    from bot.web.security import PERSON, SESSION

    session = request.get(SESSION)
    context.setdefault("person", request.get(PERSON))
    context.setdefault("csrf", session.csrf if session is not None else "")
    html = _env.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
