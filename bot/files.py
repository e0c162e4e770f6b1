"""Attachments on disk under FILES_DIR, addressed by their SHA-256, recorded as StoredFile rows.

A file is written to a temporary name, flushed to disk and renamed into place before
its row is inserted, so a row never points at a half-written file.  Identical
contents share one file on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from bot.messages import Attachment
from bot.storage.models import StoredFile
from bot.store import Store

_SAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


class FileTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"Tệp quá lớn ({size / 1024 / 1024:.1f} MB). Giới hạn là {limit / 1024 / 1024:.0f} MB."
        )
        self.size, self.limit = size, limit


def safe_filename(name: str) -> str:
    """Keep a readable name without path parts or odd characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = _SAFE.sub("_", base).strip(" .")[:200]
    return base or "tep"


class FileStore:
    def __init__(self, root: str | os.PathLike[str], max_bytes: int, store: Store) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.store = store

    def check(self, att: Attachment) -> None:
        if att.size > self.max_bytes:
            raise FileTooLarge(att.size, self.max_bytes)
        if att.size == 0:
            raise ValueError("Tệp rỗng (0 byte). Vui lòng gửi lại tệp.")

    def save(self, att: Attachment, uploaded_by: str) -> StoredFile:
        """Validate, write atomically, record. Raises FileTooLarge / ValueError."""
        self.check(att)
        digest = hashlib.sha256(att.data).hexdigest()
        name = safe_filename(att.filename)
        suffix = Path(name).suffix.lower()[:10]
        target = self.root / digest[:2] / f"{digest}{suffix}"
        if not target.is_file() or target.stat().st_size != att.size:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".up-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(att.data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return self.store.add_file(
            sha256=digest,
            filename=name,
            mime_type=att.mime_type,
            size=att.size,
            path=str(target),
            uploaded_by=uploaded_by,
        )

    def read(self, stored: StoredFile) -> bytes:
        data = Path(stored.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            raise OSError(f"checksum mismatch for stored file {stored.id}")
        return data
