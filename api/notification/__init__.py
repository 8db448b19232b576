"""Notification: email (queued with the change, sent by the mailer with retries)."""
