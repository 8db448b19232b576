"""Rules of Review that more than one endpoint applies."""

from __future__ import annotations

from uuid import UUID

from api.compliance import service as compliance
from api.identity.principal import Principal
from api.interviews import service as interviews
from api.review import repository as repo
from domain.events import CandidateDecided, emit
from storage.db import Tenant


async def decide(t: Tenant, p: Principal, candidate_id: UUID, decision: str, note: str) -> None:
    """Record the hiring team's decision; every decision is kept, the newest is current."""
    p.require("candidates:decide")
    await interviews.get_candidate(t, candidate_id)
    await repo.add_decision(t, candidate_id, p.user_id, decision, note.strip())
    await compliance.record_decision_override(t, candidate_id, p.user_id, decision)
    await emit(
        t.conn,
        t.organization_id,
        CandidateDecided(candidate_id=candidate_id, decision=decision, decided_by=p.user_id),
    )
