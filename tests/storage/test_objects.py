from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from storage.objects import (
    MIN_PART,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    object_store_from_url,
)


async def ensure_bucket(store: S3ObjectStore) -> None:
    async with store.client() as client:
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            await client.create_bucket(Bucket=store.bucket)


@pytest.fixture(params=["local", "s3"])
async def store(request: Any, tmp_path: Any) -> AsyncIterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "objects")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    s3 = S3ObjectStore("fairview-test", "media", endpoint, "us-east-1", "test", "test")
    await ensure_bucket(s3)
    yield s3


async def test_put_get_ranges_size_delete(store: ObjectStore) -> None:
    await store.put("org/a/answer.webm", b"0123456789", "video/webm")
    assert await store.get("org/a/answer.webm") == b"0123456789"
    assert await store.get("org/a/answer.webm", 2, 5) == b"2345"
    assert await store.get("org/a/answer.webm", 7) == b"789"
    assert await store.size("org/a/answer.webm") == 10
    await store.ping()
    await store.delete("org/a/answer.webm")
    with pytest.raises(ObjectNotFound):
        await store.get("org/a/answer.webm")


async def test_streaming_writer_spans_multipart_parts(store: ObjectStore) -> None:
    chunk = os.urandom(1024 * 1024)
    writer = store.open_writer("org/b/long.webm", "video/webm")
    for _ in range(6):  # 6 MiB: one full 5 MiB part and a remainder
        await writer.write(chunk)
    await writer.close()
    assert await store.size("org/b/long.webm") == 6 * len(chunk)
    assert await store.get("org/b/long.webm", MIN_PART, MIN_PART + 9) == chunk[:10]


async def test_aborted_writer_leaves_nothing(store: ObjectStore) -> None:
    writer = store.open_writer("org/c/broken.webm")
    await writer.write(b"x" * 100)
    await writer.abort()
    with pytest.raises(ObjectNotFound):
        await store.size("org/c/broken.webm")


async def s3_store(endpoint: str, flush_s: float) -> S3ObjectStore:
    store = S3ObjectStore("fairview-test", "crash", endpoint, "us-east-1", "test", "test", flush_s)
    await ensure_bucket(store)
    return store


async def tail_objects(store: S3ObjectStore) -> list[str]:
    async with store.client() as s3:
        listed = await s3.list_objects_v2(Bucket=store.bucket, Prefix=f"{store.prefix}/")
    return [o["Key"] for o in listed.get("Contents", []) if ".tail/" in o["Key"]]


@pytest.mark.parametrize("sizes", [[3_000, 5_000], [2 * 1024 * 1024] * 3 + [7_000]])
async def test_an_s3_recording_abandoned_by_a_crash_is_recovered_to_its_last_checkpoint(
    s3_endpoint: str, sizes: list[int]
) -> None:
    """Without checkpoints the bytes not yet in a 5 MiB part (a whole audio answer) were only in
    memory. Here every write is checkpointed; the writer is then dropped as by a SIGKILL."""
    store = await s3_store(s3_endpoint, flush_s=0)
    key = f"answers/{os.urandom(4).hex()}/segment-1.webm"
    written = b"".join(os.urandom(n) for n in sizes)
    writer = store.open_writer(key, "video/webm")
    offset = 0
    for n in sizes:
        await writer.write(written[offset : offset + n])
        offset += n
    # A fresh process finds an object that does not exist yet and completes it.
    restarted = await s3_store(s3_endpoint, flush_s=0)
    assert await restarted.recover(key) == len(written)
    assert await restarted.get(key) == written
    assert await tail_objects(restarted) == []
    async with restarted.client() as s3:
        head = await s3.head_object(Bucket=store.bucket, Key=store._key(key))
    assert head["ContentType"] == "video/webm"


async def test_checkpoints_saved_before_their_part_was_uploaded_are_not_joined_twice(
    s3_endpoint: str, monkeypatch: Any
) -> None:
    # A crash between uploading a part and deleting its checkpoints leaves both behind.
    async def keep(*_: Any) -> None:
        return None

    store = await s3_store(s3_endpoint, flush_s=0)
    key = f"answers/{os.urandom(4).hex()}/segment-1.webm"
    written = os.urandom(MIN_PART + 3 * 1024 * 1024)
    writer = store.open_writer(key)
    with monkeypatch.context() as patch:
        patch.setattr("storage.objects._delete_keys", keep)
        for i in range(0, len(written), 1024 * 1024):
            await writer.write(written[i : i + 1024 * 1024])
    assert len(await tail_objects(store)) == 7  # 4 of them already in the part
    assert await store.recover(key) == len(written)
    assert await store.get(key) == written
    assert await tail_objects(store) == []


async def test_a_closed_s3_recording_leaves_no_checkpoints(s3_endpoint: str) -> None:
    store = await s3_store(s3_endpoint, flush_s=0)
    for n, key in ((10_000, "short.webm"), (MIN_PART + 10_000, "long.webm")):
        writer = store.open_writer(key)
        for i in range(0, n, 500_000):
            await writer.write(b"x" * min(500_000, n - i))
        await writer.close()
        assert await store.size(key) == n
    assert await tail_objects(store) == []


async def test_keys_cannot_escape(tmp_path: Any) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put("../outside", b"x")


async def test_presigned_url_downloads_from_s3(s3_endpoint: str) -> None:
    store = object_store_from_url(
        "s3://fairview-test/presign", s3_endpoint, "us-east-1", "test", "test"
    )
    assert isinstance(store, S3ObjectStore)
    await ensure_bucket(store)
    await store.put("poster.jpg", b"\xff\xd8jpeg")
    url = await store.url("poster.jpg", expires_s=60)
    assert url is not None and "Signature=" in url and "Expires=" in url
    async with httpx.AsyncClient() as client:
        r = await client.get(str(url))
    assert r.content == b"\xff\xd8jpeg"


async def test_local_store_from_a_directory_has_no_urls(tmp_path: Any) -> None:
    local = object_store_from_url(str(tmp_path / "objects"))
    assert isinstance(local, LocalObjectStore) and await local.url("x") is None
