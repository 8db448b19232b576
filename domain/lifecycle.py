"""The candidate and answer lifecycle: one statement of each rule, applied by the API (the
candidate's session), the ingest (what may stream, for how long) and the scheduler.

- A candidate may hold several personal links (invitation, reminder, resend, public-link
  rejoin); each works while the interview is active, the candidate is not revoked or completed,
  and the deadline has not passed (then the candidate becomes ``expired``). A candidate already
  in progress at the deadline has a grace period to finish (``past_deadline``).
- Questions are answered in order; a question allows 1 + retakes (+ the candidate's extra
  retakes) attempts; a new attempt discards the previous one; an attempt that failed for
  technical reasons is not counted and is never discarded (so it never starts to count): the
  candidate can always retake after one. The attempt that counts is the latest one not
  discarded (SQL ``counting_answers``). A question counts as answered when its latest attempt
  is ``ANSWERED`` (what arrived of an interrupted one is kept).
- An answer's time is the question's, times the candidate's extra-time accommodation; an
  interrupted answer resumes with what is left of it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

# Candidates whose link takes answers (while the interview is active).
OPEN = ("opened", "in_progress")
# Candidates the deadline still applies to.
NOT_STARTED_OR_OPEN = ("invited", *OPEN)
# An answer's latest attempt in one of these answers its question.
ANSWERED = ("recorded", "submitted", "interrupted")
# Answers that may stream: a new attempt, or one resumed after an interruption.
STREAMABLE = ("pending", "interrupted")

DEFAULT_DEADLINE_GRACE = timedelta(hours=2)


def past_deadline(status: str, deadline: datetime | None, now: datetime, grace: timedelta) -> bool:
    """Whether a candidate's invitation has run out: at the deadline for one who has not
    started, at the deadline plus ``grace`` for one in progress (they may finish). The
    scheduler's expiry (``api.notification.scheduled.expire_overdue``) applies the same rule."""
    if deadline is None or status not in NOT_STARTED_OR_OPEN:
        return False
    return now >= deadline + (grace if status == "in_progress" else timedelta(0))


def time_limit_s(answer_seconds: int, extra_time_factor: Any) -> int:
    """A question's answer time for this candidate, accommodation included."""
    return math.ceil(answer_seconds * float(extra_time_factor))


def remaining_s(answer_seconds: int, extra_time_factor: Any, recorded_ms: int) -> float:
    """What is left of an answer's time after what was already recorded (a resumed answer)."""
    return time_limit_s(answer_seconds, extra_time_factor) - recorded_ms / 1000


def attempts_allowed(retakes: int, extra_retakes: int) -> int:
    return 1 + int(retakes) + int(extra_retakes)
