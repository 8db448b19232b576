"""The scheduler really runs inside the product: with a per-second schedule, a reminder that is
due goes out by itself, through SAQ on Redis (the jobs' rules are tested by time travel in
test_scheduled.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate
from tests.services import Inbox

QUESTION = [{"prompt": "Why us?", "kind": "text", "think_seconds": 0, "answer_seconds": 300}]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, schedule_cron="* * * * * *")  # every second


async def test_a_due_reminder_goes_out_by_itself(
    api: ApiClient, server: str, inbox: Inbox, db: Any
) -> None:
    deadline = datetime.now(UTC) + timedelta(hours=23)  # inside the default 24-hour window
    await interview_with_candidate(api, QUESTION, deadline=deadline.isoformat())
    mail = await inbox.wait_for(lambda m: "Reminder" in m["Subject"], timeout_s=20)
    assert mail["To"] == "cora@example.com"
    assert await db.fetchval("SELECT reminded_at FROM candidates") is not None
