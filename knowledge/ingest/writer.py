"""Write an ingested pack folder atomically: everything goes to a temporary folder beside the target, which
is then renamed into place (an existing pack of the same id is replaced only once the new one is complete)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from knowledge.ingest.build import Ingested

HEADER = (
    "# Gói tri thức tạo tự động bởi `directive-bot ingest` từ văn bản gốc (text.md). Mọi trích dẫn là nguyên văn;\n"
    "# không có mục hỏi đáp viết tay (qa.yaml): bộ máy trả lời dựa trên meta và cấu trúc các đoạn.\n"
)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)


def files_of(result: Ingested) -> dict[str, str]:
    files = {
        "text.md": result.text,
        "pack.yaml": HEADER + _dump(result.pack),
        "passages.yaml": HEADER + _dump({"passages": result.passages}),
    }
    if result.obligations:
        files["proposed_obligations.yaml"] = (
            "# Nghĩa vụ báo cáo ĐỀ XUẤT, trích từ văn bản: chưa được lên lịch nhắc. Quản trị viên xác nhận trước.\n"
            + _dump({"document": result.pack["document"], "obligations": result.obligations})
        )
    return files


def write_pack(result: Ingested, out_dir: str | os.PathLike[str]) -> Path:
    """``out_dir/<id>/`` with the pack's files; returns the folder.  Nothing is left behind on failure."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / result.id
    tmp = Path(tempfile.mkdtemp(prefix=f".{result.id}.", dir=root))
    try:
        for name, content in files_of(result).items():
            (tmp / name).write_text(content, encoding="utf-8")
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{result.id}.old.", dir=root))
            os.rmdir(old)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
