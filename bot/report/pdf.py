"""PDF through LibreOffice headless (``soffice --convert-to pdf``), when it is installed.

Each conversion uses its own LibreOffice profile in a temporary folder, so two conversions at once (or a
LibreOffice the operator has open) do not lock each other out.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.report import ReportError

TIMEOUT = 180  # seconds: the first start of LibreOffice on a loaded machine is slow
MISSING = (
    "Máy chủ chưa cài LibreOffice nên chưa xuất được PDF. Hãy cài gói libreoffice-writer-nogui "
    "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui) hoặc chọn định dạng docx."
)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def ensure_available() -> str:
    exe = soffice()
    if exe is None:
        raise ReportError(MISSING)
    return exe


def docx_to_pdf(data: bytes) -> bytes:
    exe = ensure_available()
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as tmp:
        folder = Path(tmp)
        src = folder / "bao-cao.docx"
        src.write_bytes(data)
        cmd = [
            exe,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(src),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False, cwd=folder)
        except subprocess.TimeoutExpired as exc:
            raise ReportError("LibreOffice không chuyển xong tệp PDF trong thời gian cho phép.") from exc
        out = folder / "bao-cao.pdf"
        if not out.is_file():
            raise ReportError("LibreOffice không tạo được tệp PDF từ báo cáo.")
        return out.read_bytes()
