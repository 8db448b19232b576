from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
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
from tests.services import free_port, unavailable


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable("moto[server] (the test S3 endpoint)", exc)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


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
