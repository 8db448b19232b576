"""Domain events become in-app notifications and team emails (consumer group ``notifications``).

- ``interview.completed``: "candidate completed", with the email of that name;
- ``candidate.evaluated`` (every answer evaluated and the summary ready): "evaluation ready",
  with its email;
- ``candidate.decided``: "decision recorded", when someone other than the one told decided;
- ``invitation.undeliverable``: "the invitation could not be delivered" (the mail server refused
  the address, or every retry failed), with the server's reply.

The interview's creator hears about its candidates (the owners, once the creator has left). A
notification is unique per event and member, and its email is queued in the same transaction,
so a redelivered event changes nothing. Emails honour the member's preferences and carry an
unsubscribe link. After commit each new notification is published on the member's Redis
channel, which the bell's event stream relays.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import msgspec
from redis.asyncio import Redis

from api.notification import preferences
from api.notification import repository as repo
from api.notification.schemas import NotificationOut
from api.notification.templates import render
from storage.db import Database
from streaming.bus import EventBus, handle_events
from streaming.dead_letters import DeadLetters

KINDS = {
    "interview.completed": "candidate_completed",
    "candidate.evaluated": "evaluation_ready",
    "candidate.decided": "candidate_decided",
    "invitation.undeliverable": "invitation_failed",
}
# Notification kinds that also email (each a preference of that name): their templates.
EMAILS = {"candidate_completed": "candidate_completed_team", "evaluation_ready": "evaluation_ready"}


def channel(organization_id: UUID, user_id: UUID) -> str:
    return f"notifications:{organization_id}:{user_id}"


def notification_json(row: dict[str, Any]) -> Any:
    """A notification as the API returns it (what the bell's stream carries)."""
    return msgspec.to_builtins(msgspec.convert(row, NotificationOut))


class Feed:
    def __init__(self, db: Database, redis: Redis, public_url: str, secret_key: str) -> None:
        self.db, self.redis = db, redis
        self.public_url, self.secret_key = public_url, secret_key

    async def handle(self, event: dict[str, Any]) -> int:
        """Notify about one event: how many notifications it made (0 when redelivered)."""
        kind = KINDS.get(event.get("type", ""))
        if kind is None or "organization_id" not in event:
            return 0
        org, data = UUID(event["organization_id"]), event.get("data", {})
        candidate_id = UUID(data["candidate_id"])
        made: list[tuple[UUID, dict[str, Any]]] = []
        async with self.db.tenant(org) as t:
            who = await repo.audience(t, candidate_id)
            if who is None:
                return 0
            details = {
                "candidate": who["name"],
                "interview": who["title"],
                "interview_id": str(who["interview_id"]),
            }
            if kind == "candidate_decided":
                details["decision"] = data.get("decision")
            if kind == "invitation_failed":
                details["error"] = data.get("error")
            for member in who["members"]:
                if str(member["id"]) == data.get("decided_by"):
                    continue  # nobody needs telling what they just did
                row = await repo.add_notification(
                    t, member["id"], event["id"], kind, candidate_id, details
                )
                if row is None:
                    continue  # made when this event was first delivered
                unread = await repo.unread_count(t, member["id"])
                made.append(
                    (member["id"], {"notification": notification_json(row), "unread": unread})
                )
                if kind in EMAILS and kind not in member["email_opt_out"]:
                    template = EMAILS[kind]
                    mail = render(
                        template,
                        member["locale"],
                        f"{self.public_url}/candidates/{candidate_id}",
                        unsubscribe=preferences.links(
                            self.public_url, self.secret_key, member["id"], org, kind
                        ),
                        name=member["name"],
                        candidate=who["name"],
                        interview=who["title"],
                    )
                    await repo.queue_email(t.conn, member["email"], template, mail)
        for user_id, message in made:
            await self.redis.publish(
                channel(org, user_id), json.dumps({"type": "notification", **message})
            )
        return len(made)

    async def run(self, bus: EventBus) -> None:
        await handle_events(bus, "notifications", self.handle, dead_letters=DeadLetters(self.db))
