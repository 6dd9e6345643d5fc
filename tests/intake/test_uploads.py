"""Uploads are spooled into nameless files, bounded, and the upload folder is swept (issue 9, item 1).

The crash itself (kill -9 of a real gunicorn in the middle of a 50 MB upload) is in
``tests/reliability/test_upload_crash.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from intake import tasks
from intake.attachments import RejectedAttachment, inspect_and_clean
from intake.uploads import NamelessUploadedFile, sweep_upload_folder

ROOT = Path(__file__).resolve().parents[2]
BIG = b"Bukti transfer. " * 40_000  # 640 KB: over FILE_UPLOAD_MAX_MEMORY_SIZE, so spooled to disk


@pytest.fixture
def upload_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = folder
    return folder


def parsed_upload(data: bytes) -> Any:
    """Return the file Django's multipart parser hands the view for an upload of ``data``."""
    request = RequestFactory().post("/api/v1/reports/wbs", {"attachments": SimpleUploadedFile("bukti.txt", data)})
    return request.FILES["attachments"]


def test_a_large_upload_is_spooled_into_a_file_without_a_name(upload_dir: Path) -> None:
    upload = parsed_upload(BIG)

    assert isinstance(upload, NamelessUploadedFile)
    assert not hasattr(upload, "temporary_file_path")
    assert list(upload_dir.iterdir()) == [], "no name in the upload folder while the request runs"
    target = os.readlink(f"/proc/self/fd/{upload.file.fileno()}")
    assert target.startswith(str(upload_dir)) and target.endswith("(deleted)")
    assert upload.size == len(BIG) and upload.read() == BIG
    result = inspect_and_clean(upload)
    assert b"".join(result.chunks) == BIG and result.content_type == "text/plain"
    upload.close()


def test_an_oversized_upload_is_not_written_past_the_limit(upload_dir: Path, settings: Any) -> None:
    settings.PELUIT_MAX_ATTACHMENT_BYTES = 300_000

    upload = parsed_upload(BIG)

    assert upload.size == len(BIG), "the size sent is kept, so the refusal says the file is too large"
    assert os.fstat(upload.file.fileno()).st_size == 300_001, "only one byte past the limit reached the disk"
    with pytest.raises(RejectedAttachment) as caught:
        inspect_and_clean(upload)
    assert caught.value.code == "too_large"


def leftovers(folder: Path) -> tuple[Path, Path, Path]:
    old = folder / "tmpabc.upload.bin"
    old.write_bytes(b"plaintext from a crash")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    nested = folder / "sub" / "part.bin"
    nested.parent.mkdir()
    nested.write_bytes(b"also left")
    os.utime(nested, (time.time() - 7200, time.time() - 7200))
    fresh = folder / "fresh.bin"
    fresh.write_bytes(b"written a moment ago")
    return old, nested, fresh


def test_the_sweep_deletes_what_is_left_and_follows_no_link(upload_dir: Path, tmp_path: Path) -> None:
    old, nested, fresh = leftovers(upload_dir)
    outside = tmp_path / "outside.txt"
    outside.write_text("not in the upload folder")
    (upload_dir / "link").symlink_to(outside)
    os.utime(upload_dir / "link", (0, 0), follow_symlinks=False)

    assert sweep_upload_folder(older_than=timedelta(hours=1)) == 3
    assert not old.exists() and not nested.exists() and not (upload_dir / "link").is_symlink()
    assert fresh.exists() and outside.read_text() == "not in the upload folder"
    assert sweep_upload_folder() == 1 and not fresh.exists()
    assert upload_dir.is_dir() and (upload_dir / "sub").is_dir()


@pytest.mark.django_db  # the housekeeping also purges spent form tokens
def test_the_hourly_housekeeping_sweeps_files_older_than_an_hour(upload_dir: Path) -> None:
    old, nested, fresh = leftovers(upload_dir)
    assert tasks.housekeeping() == {"upload_leftovers": 2, "spent_tokens": 0}
    assert fresh.exists() and not old.exists() and not nested.exists()


def test_the_web_application_sweeps_the_upload_folder_when_it_starts(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    (var_dir / "tmp").mkdir(parents=True)
    leftover = var_dir / "tmp" / "tmpxyz.upload.bin"
    leftover.write_bytes(b"plaintext from a crash a second ago")

    started = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env={**os.environ, "PELUIT_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert started.returncode == 0, started.stderr[-2000:]
    assert not leftover.exists() and (var_dir / "tmp").is_dir()
    assert "tmpxyz" not in started.stderr, "file names are never logged"
