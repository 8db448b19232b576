"""The erasure worker: a polling loop (``storage.wakeup.drain_forever``, woken when a request
becomes due now) over ``privacy_requests``; the retention schedule's cron job (in
``api.notification.scheduled``) only queues requests for it."""

from __future__ import annotations

from api.privacy.repository import CHANNEL
from api.privacy.service import run_due
from storage.db import Database
from storage.objects import ObjectStore
from storage.wakeup import drain_forever


async def run_erasures(db: Database, objects: ObjectStore, poll_s: float = 5.0) -> None:
    await drain_forever(db.pool, CHANNEL, lambda: run_due(db, objects), poll_s)
