"""Object store: one interface, a local directory for one machine and S3 for scale.

Writes are streamed (``open_writer``) so that a recording can be made durable while it grows:
the local store appends to a file; S3 uploads multipart parts of at least 5 MiB and, between
parts, saves what it holds as small checkpoint objects every ``FLUSH_S``, so a crash loses at most
a few seconds of a recording (``recover`` joins the parts and the checkpoints).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import aioboto3

MIN_PART = 5 * 1024 * 1024  # S3's minimum multipart part size (all but the last part)
# A 5 MiB part is 20 minutes of an audio answer: without checkpoints a crash would lose all of it.
FLUSH_S = 2.0


class ObjectNotFound(KeyError):
    pass


class ObjectWriter(Protocol):
    async def write(self, data: bytes) -> None: ...
    async def close(self) -> None: ...
    async def abort(self) -> None: ...


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str = ...) -> None: ...
    async def get(self, key: str, start: int | None = None, end: int | None = None) -> bytes: ...
    async def size(self, key: str) -> int: ...
    async def delete(self, key: str) -> None: ...
    async def url(self, key: str, expires_s: int = 3600) -> str | None: ...
    async def ping(self) -> None: ...
    def open_writer(self, key: str, content_type: str = ...) -> ObjectWriter: ...
    async def recover(self, key: str) -> int:
        """Finalise what a writer that never closed (a crash) left of ``key``: its size, 0 if
        nothing is there."""
        ...


def _safe_key(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in {".", ".."} for p in parts):
        raise ValueError(f"invalid object key: {key!r}")
    return "/".join(parts)


class LocalObjectStore:
    """Objects as files under one directory; ``url`` is None (the API streams them)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        path = self.path(key)
        await asyncio.to_thread(_write_atomic, path, data)

    async def get(self, key: str, start: int | None = None, end: int | None = None) -> bytes:
        return await asyncio.to_thread(_read_range, self.path(key), start, end)

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self.path(key).stat)).st_size
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(key).unlink)

    async def url(self, key: str, expires_s: int = 3600) -> str | None:
        return None

    async def ping(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"object store directory {self.root} is not writable")

    def open_writer(self, key: str, content_type: str = "application/octet-stream") -> ObjectWriter:
        return _LocalWriter(self.path(key))

    async def recover(self, key: str) -> int:
        return await asyncio.to_thread(_recover_local, self.path(key))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _recover_local(path: Path) -> int:
    part = path.with_name(path.name + ".part")
    if not path.exists() and part.exists():
        if part.stat().st_size == 0:
            part.unlink()
            return 0
        part.replace(path)
    return path.stat().st_size if path.exists() else 0


def _read_range(path: Path, start: int | None, end: int | None) -> bytes:
    try:
        with open(path, "rb") as f:
            if start:
                f.seek(start)
            if end is None:
                return f.read()
            return f.read(end - (start or 0) + 1)
    except FileNotFoundError as exc:
        raise ObjectNotFound(str(path)) from exc


class _LocalWriter:
    """Appends to ``<key>.part`` with fsync per write; renamed into place on close.

    Unbuffered, so a write the disk refuses (full, EFBIG) leaves nothing pending: ``close``
    still keeps what was written before it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.tmp, "wb", buffering=0)  # noqa: SIM115 - closed in close()/abort()

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            view = view[written or 0 :]
        os.fsync(self._file.fileno())

    async def write(self, data: bytes) -> None:
        await asyncio.to_thread(self._append, data)

    async def close(self) -> None:
        self._file.close()
        await asyncio.to_thread(self.tmp.replace, self.path)

    async def abort(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


class S3ObjectStore:
    """Any S3-compatible store (AWS S3, MinIO, R2) through aioboto3."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        flush_s: float = FLUSH_S,
    ) -> None:
        self.bucket = bucket
        self.flush_s = flush_s
        self.prefix = prefix.strip("/")
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region,
        )
        self._endpoint_url = endpoint_url or None

    def _key(self, key: str) -> str:
        key = _safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def client(self) -> Any:
        return self._session.client("s3", endpoint_url=self._endpoint_url)

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        async with self.client() as s3:
            await s3.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )

    async def get(self, key: str, start: int | None = None, end: int | None = None) -> bytes:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if start is not None or end is not None:
            kwargs["Range"] = f"bytes={start or 0}-{'' if end is None else end}"
        async with self.client() as s3:
            try:
                response = await s3.get_object(**kwargs)
            except s3.exceptions.NoSuchKey as exc:
                raise ObjectNotFound(key) from exc
            async with response["Body"] as body:
                data: bytes = await body.read()
                return data

    async def size(self, key: str) -> int:
        async with self.client() as s3:
            try:
                head = await s3.head_object(Bucket=self.bucket, Key=self._key(key))
            except s3.exceptions.ClientError as exc:
                raise ObjectNotFound(key) from exc
            return int(head["ContentLength"])

    async def delete(self, key: str) -> None:
        async with self.client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def url(self, key: str, expires_s: int = 3600) -> str | None:
        async with self.client() as s3:
            url: str = await s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self._key(key)},
                ExpiresIn=expires_s,
            )
            return url

    async def ping(self) -> None:
        async with self.client() as s3:
            await s3.head_bucket(Bucket=self.bucket)

    def open_writer(self, key: str, content_type: str = "application/octet-stream") -> ObjectWriter:
        return _S3MultipartWriter(self, self._key(key), content_type, self.flush_s)

    async def recover(self, key: str) -> int:
        """Complete a recording a crash left open: its uploaded parts, then its checkpoints from
        where the parts end (earlier ones were already in a part), as one object."""
        with contextlib.suppress(ObjectNotFound):
            return await self.size(key)
        full = self._key(key)
        async with self.client() as s3:
            tails = await _list_tails(s3, self.bucket, full)
            upload_id, parts = None, []
            listed = await s3.list_multipart_uploads(Bucket=self.bucket, Prefix=full)
            for upload in listed.get("Uploads", []):
                if upload["Key"] != full:
                    continue
                if upload_id is not None:  # one writer per key: any other is a stale leftover
                    await s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=full, UploadId=upload["UploadId"]
                    )
                    continue
                upload_id = upload["UploadId"]
                listed_parts = await s3.list_parts(Bucket=self.bucket, Key=full, UploadId=upload_id)
                parts = listed_parts.get("Parts", [])
            done = [{"ETag": p["ETag"], "PartNumber": p["PartNumber"]} for p in parts]
            in_parts = sum(p["Size"] for p in parts)
            tail, content_type = bytearray(), "application/octet-stream"
            for offset, tail_key in tails:
                if offset != in_parts + len(tail):
                    continue  # saved before its bytes went into a part
                got = await s3.get_object(Bucket=self.bucket, Key=tail_key)
                content_type = got.get("ContentType") or content_type
                async with got["Body"] as body:
                    tail += await body.read()
            if done:
                if tail:
                    part = await s3.upload_part(
                        Bucket=self.bucket, Key=full, UploadId=upload_id,
                        PartNumber=len(done) + 1, Body=bytes(tail),
                    )  # fmt: skip
                    done.append({"ETag": part["ETag"], "PartNumber": len(done) + 1})
                await s3.complete_multipart_upload(
                    Bucket=self.bucket, Key=full, UploadId=upload_id,
                    MultipartUpload={"Parts": done},
                )  # fmt: skip
            else:
                if upload_id is not None:
                    await s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=full, UploadId=upload_id
                    )
                if tail:
                    await s3.put_object(
                        Bucket=self.bucket, Key=full, Body=bytes(tail), ContentType=content_type
                    )
            await _delete_keys(s3, self.bucket, [k for _, k in tails])
        with contextlib.suppress(ObjectNotFound):
            return await self.size(key)
        return 0


def _tail_key(key: str, offset: int) -> str:
    return f"{key}.tail/{offset:015d}"


async def _list_tails(s3: Any, bucket: str, key: str) -> list[tuple[int, str]]:
    """A recording's checkpoints as (offset in the recording, object key), in order."""
    found: list[tuple[int, str]] = []
    paginator = s3.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=bucket, Prefix=f"{key}.tail/"):
        for item in page.get("Contents", []):
            found.append((int(item["Key"].rsplit("/", 1)[1]), item["Key"]))
    return sorted(found)


async def _delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for i in range(0, len(keys), 1000):  # S3's limit per DeleteObjects call
        await s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]]}
        )


class _S3MultipartWriter:
    """Buffers to 5 MiB and uploads each full part at once; every ``flush_s`` between parts the
    bytes not yet saved become a checkpoint object at their offset, deleted once their part is
    uploaded. Completes (or aborts) the upload."""

    def __init__(
        self, store: S3ObjectStore, key: str, content_type: str, flush_s: float = FLUSH_S
    ) -> None:
        self.store = store
        self.key = key
        self.content_type = content_type
        self.flush_s = flush_s
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self._client_cm: Any = None
        self._s3: Any = None
        self._in_parts = 0  # bytes already in uploaded parts
        self._saved = 0  # bytes of the buffer already in checkpoints
        self._tails: list[str] = []
        self._saved_at = time.monotonic()

    async def _client(self) -> Any:
        if self._s3 is None:
            self._client_cm = self.store.client()
            self._s3 = await self._client_cm.__aenter__()
        return self._s3

    async def _upload_part(self, data: bytes) -> None:
        s3 = await self._client()
        if self._upload_id is None:
            created = await s3.create_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, ContentType=self.content_type
            )
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        part = await s3.upload_part(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
        )
        self._parts.append({"ETag": part["ETag"], "PartNumber": number})

    async def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= MIN_PART:
            chunk, self._buffer = bytes(self._buffer), bytearray()
            await self._upload_part(chunk)
            self._in_parts += len(chunk)
            self._saved = 0
            await self._drop_tails()
        elif time.monotonic() - self._saved_at >= self.flush_s:
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        self._saved_at = time.monotonic()
        if len(self._buffer) == self._saved:
            return
        s3 = await self._client()
        key = _tail_key(self.key, self._in_parts + self._saved)
        await s3.put_object(
            Bucket=self.store.bucket,
            Key=key,
            Body=bytes(self._buffer[self._saved :]),
            ContentType=self.content_type,
        )
        self._tails.append(key)
        self._saved = len(self._buffer)

    async def _drop_tails(self) -> None:
        if self._tails:
            await _delete_keys(await self._client(), self.store.bucket, self._tails)
            self._tails = []

    async def close(self) -> None:
        try:
            if self._upload_id is None:
                s3 = await self._client()
                await s3.put_object(
                    Bucket=self.store.bucket,
                    Key=self.key,
                    Body=bytes(self._buffer),
                    ContentType=self.content_type,
                )
                await self._drop_tails()
                return
            if self._buffer:
                await self._upload_part(bytes(self._buffer))
                self._buffer.clear()
            s3 = await self._client()
            await s3.complete_multipart_upload(
                Bucket=self.store.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
            await self._drop_tails()
        finally:
            await self._release()

    async def abort(self) -> None:
        try:
            if self._upload_id is not None:
                s3 = await self._client()
                await s3.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self._upload_id
                )
            await self._drop_tails()
        finally:
            await self._release()

    async def _release(self) -> None:
        if self._client_cm is not None:
            await self._client_cm.__aexit__(None, None, None)
            self._client_cm = self._s3 = None


def object_store_from_url(
    url: str,
    endpoint_url: str = "",
    region: str = "us-east-1",
    access_key_id: str = "",
    secret_access_key: str = "",
) -> ObjectStore:
    """``s3://bucket/prefix`` gives an S3 store; anything else is a local directory."""
    if url.startswith("s3://"):
        parts = urlsplit(url)
        return S3ObjectStore(
            parts.netloc, parts.path, endpoint_url, region, access_key_id, secret_access_key
        )
    return LocalObjectStore(url)
