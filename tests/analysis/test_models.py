"""The default model is joined from its two PyPI packages once, however many callers (threads
or processes) ask for it at the same moment on a fresh machine."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from pathlib import Path

from analysis.models import WHISPER_BASE_SHA256, _sha256, resolve


def _resolve_base(cache_dir: str) -> str:
    return str(resolve("base", Path(cache_dir)))


def _joined_once(cache_dir: Path, results: list[str]) -> None:
    target = cache_dir / "whisper-base"
    assert results == [str(target)] * len(results)
    assert _sha256(target / "model.bin") == WHISPER_BASE_SHA256
    assert (target / "verified").read_text() == WHISPER_BASE_SHA256
    # No temporary file is left behind.
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".lock")) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "verified",
        "vocabulary.txt",
    ]


def test_concurrent_threads_join_the_model_once(tmp_path: Path) -> None:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_resolve_base, [str(tmp_path)] * 4))
    _joined_once(tmp_path, results)


def test_concurrent_processes_join_the_model_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, like two `fairview` processes
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        results = list(pool.map(_resolve_base, [str(tmp_path)] * 2))
    _joined_once(tmp_path, results)


def test_a_damaged_model_is_joined_again(tmp_path: Path) -> None:
    target = Path(_resolve_base(str(tmp_path)))
    (target / "verified").unlink()
    (target / "model.bin").write_bytes(b"truncated")
    assert _resolve_base(str(tmp_path)) == str(target)
    assert _sha256(target / "model.bin") == WHISPER_BASE_SHA256
