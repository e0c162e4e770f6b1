"""One call from bytes to a written pack, shared by the CLI and the chat (/themvanban)."""

from __future__ import annotations

import os
from pathlib import Path

from knowledge.ingest.bodies import Registry
from knowledge.ingest.build import Ingested, IngestError, ingest_text
from knowledge.ingest.reader import ReadError, extract_text
from knowledge.ingest.writer import write_pack
from knowledge.pack import PackError

__all__ = ["IngestFailed", "ingest_bytes"]


class IngestFailed(ValueError):
    """Reading or parsing failed; the message is Vietnamese and nothing was written."""


def ingest_bytes(
    data: bytes,
    filename: str,
    out_dir: str | os.PathLike[str],
    *,
    pack_id: str | None = None,
    registry: str | None = None,
    units: list | None = None,  # type: ignore[type-arg]
) -> tuple[Ingested, Path]:
    from knowledge.library import load_registry

    try:
        text = extract_text(data, filename)
        reg = Registry(units if units is not None else load_registry(registry))
        result = ingest_text(text, reg, pack_id)
    except (ReadError, IngestError, PackError) as exc:
        raise IngestFailed(str(exc)) from exc
    return result, write_pack(result, out_dir)
