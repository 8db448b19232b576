"""Candidate-facing endpoints. The personal link's token is the credential, sent as
``Authorization: Bearer <token>``; ``X-Fairview-Tab`` keeps the interview in one browser tab."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from limits import RateLimitItemPerMinute
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from api.compliance.links import rights_link
from api.context import Services, services
from api.errors import Conflict, NotAuthenticated, NotFound, PaymentRequired, error_responses
from api.identity import security
from api.identity.service import normalize_email
from api.interviews import repository as interview_repo
from api.interviews import service as interviews
from api.rate_limits import enforce
from api.responses import repository as repo
from api.responses import schemas as s
from api.responses import service
from api.user_agent import Client, client
from domain import lifecycle
from storage.db import Tenant, savepoint
from storage.signed_tokens import issue

Req = Request[Any, Any, Any]
TAB_TTL_S = 30


def _candidate_token(request: Req) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "Open the interview from the link in your email.", code="invalid_link"
        )
    return token.strip()


async def _claim_tab(svc: Services, request: Req, candidate_id: UUID) -> None:
    """One tab at a time: a second tab is refused unless it takes over."""
    tab = request.headers.get("x-fairview-tab")
    if not tab:
        return
    key = f"fairview:tab:{candidate_id}"
    if request.headers.get("x-fairview-tab-takeover") == "1":
        await svc.redis.set(key, tab, ex=TAB_TTL_S)
        return
    if await svc.redis.set(key, tab, ex=TAB_TTL_S, nx=True):
        return
    holder = await svc.redis.get(key)
    if holder is not None and (holder.decode() if isinstance(holder, bytes) else holder) != tab:
        raise Conflict(
            "This interview is open in another tab or window. Continue there, or "
            "choose to continue here.",
            code="open_in_another_tab",
        )
    await svc.redis.expire(key, TAB_TTL_S)


@asynccontextmanager
async def candidate_tx(request: Req) -> AsyncIterator[tuple[Tenant, dict[str, Any]]]:
    """The candidate of the request's link, in a transaction scoped to their organization."""
    svc = services(request.app.state)
    token = _candidate_token(request)
    async with svc.db.platform() as conn:
        org_id = await conn.fetchval(
            "SELECT organization_id FROM candidate_links WHERE token_hash = $1",
            security.token_hash(token),
        )
    if org_id is None:
        raise NotFound(
            "This interview link is not valid. Check the link in your email.", code="invalid_link"
        )
    async with svc.db.tenant(org_id) as t:
        c = await service.open_candidate(t.conn, token, svc.deadline_grace)
        if c["status"] in lifecycle.OPEN and c["interview_status"] == "active":
            await _claim_tab(svc, request, c["id"])
            yield t, c
            return
    service.ensure_open(c)  # after the commit, so an expiry is recorded


def _client(request: Req) -> Client:
    return client(request.headers.get("user-agent", ""))


def _question(q: dict[str, Any], c: dict[str, Any], current: int | None) -> s.CandidateQuestion:
    reached = current is None or q["position"] <= current
    return s.CandidateQuestion(
        id=q["id"],
        position=q["position"],
        kind=q["kind"],
        required=q["required"],
        think_seconds=q["think_seconds"],
        time_limit_seconds=lifecycle.time_limit_s(q["answer_seconds"], c["extra_time_factor"]),
        attempts_allowed=lifecycle.attempts_allowed(q["retakes"], c["extra_retakes"]),
        attempts_used=q["attempts_used"],
        status=q["answer_status"],
        answer_id=q["answer_id"],
        failure_reason=q["failure_reason"],
        prompt=q["prompt"] if reached and c["consented_at"] else None,
    )


class CandidateSessionController(Controller):
    path = "/candidate"
    tags = ["candidate"]
    responses = error_responses(401, 404, 409, 410)

    @get("/session")
    async def session(self, request: Req) -> s.CandidateSession:
        """Where the candidate stands: resume at the first unanswered question."""
        async with candidate_tx(request) as (t, c):
            questions, current = await service.session_state(t, c)
        return s.CandidateSession(
            name=c["name"],
            status=c["status"],
            consented=c["consented_at"] is not None,
            ai_consent=c["ai_consent"],
            notice_version=service.NOTICE_VERSION,
            interview=s.CandidateInterview(
                title=c["title"],
                intro=c["intro"],
                language=c["language"],
                organization=c["organization_name"],
                logo_url=c["brand_logo_url"],
            ),
            questions=[_question(q, c, current) for q in questions],
            current=current,
        )

    @post("/consent", status_code=204, responses=error_responses(400, 422))
    async def consent(self, request: Req, data: JSONBody[s.Consent]) -> None:
        async with candidate_tx(request) as (t, c):
            await service.consent(t, c, data.notice_version, data.recording, data.ai)

    @post("/devices-checked", status_code=204, responses=error_responses(403))
    async def devices_checked(self, request: Req) -> None:
        """The device check passed in this browser (camera, microphone): recorded once, with
        the browser family, system and device type of the request's user agent (the string
        itself is not kept). Calling it again changes nothing."""
        async with candidate_tx(request) as (t, c):
            await service.devices_checked(t, c, _client(request))

    @post("/questions/{question_id:uuid}/attempts", responses=error_responses(403))
    async def attempt(self, request: Req, question_id: FromPath[UUID]) -> s.Attempt:
        """Start an attempt at a video or audio question: stream it with WHIP to `whip_url`
        using `whip_token`. A new attempt discards the previous one."""
        svc = services(request.app.state)
        async with candidate_tx(request) as (t, c):
            q, answer_id, attempt = await service.new_attempt(t, c, question_id, _client(request))
        return s.Attempt(
            answer_id=answer_id,
            attempt=attempt,
            attempts_left=lifecycle.attempts_allowed(q["retakes"], c["extra_retakes"])
            - int(q["attempts_used"])
            - 1,
            time_limit_seconds=lifecycle.time_limit_s(q["answer_seconds"], c["extra_time_factor"]),
            whip_url=f"{svc.ingest_url.rstrip('/')}/whip/answers/{answer_id}",
            whip_token=issue(svc.secret_key, answer_id, t.organization_id),
        )

    @post("/answers/{answer_id:uuid}/resume", responses=error_responses(403))
    async def resume(self, request: Req, answer_id: FromPath[UUID]) -> s.Attempt:
        """Continue an answer whose connection dropped: a new streaming token for the same
        answer (its recording continues in a new segment within the remaining time)."""
        svc = services(request.app.state)
        async with candidate_tx(request) as (t, c):
            q, a = await service.resumable(t, c, answer_id)
        return s.Attempt(
            answer_id=answer_id,
            attempt=a["attempt"],
            attempts_left=lifecycle.attempts_allowed(q["retakes"], c["extra_retakes"])
            - int(q["attempts_used"]),
            time_limit_seconds=max(
                0,
                lifecycle.time_limit_s(q["answer_seconds"], c["extra_time_factor"])
                - a["duration_ms"] // 1000,
            ),
            whip_url=f"{svc.ingest_url.rstrip('/')}/whip/answers/{answer_id}",
            whip_token=issue(svc.secret_key, answer_id, t.organization_id),
        )

    @post("/questions/{question_id:uuid}/text", responses=error_responses(400, 403))
    async def text(
        self, request: Req, question_id: FromPath[UUID], data: JSONBody[s.TextAnswer]
    ) -> s.AnswerState:
        async with candidate_tx(request) as (t, c):
            answer_id = await service.text_answer(t, c, question_id, data.text)
            a = await service.get_answer(t, c, answer_id)
        return _answer(a)

    @get("/answers/{answer_id:uuid}")
    async def answer(self, request: Req, answer_id: FromPath[UUID]) -> s.AnswerState:
        async with candidate_tx(request) as (t, c):
            return _answer(await service.get_answer(t, c, answer_id))

    @post("/finish", status_code=204, responses=error_responses(403))
    async def finish(self, request: Req) -> None:
        svc = services(request.app.state)
        async with candidate_tx(request) as (t, c):
            link = rights_link(svc.public_url, svc.secret_key, t.organization_id, c["id"])
            await service.finish(t, c, link)


def _answer(a: dict[str, Any]) -> s.AnswerState:
    return s.AnswerState(
        id=a["id"],
        status=a["status"],
        failure_reason=a["failure_reason"],
        duration_ms=a["duration_ms"],
        playback_ready=a["playback_key"] is not None,
        failure_code=a["failure_code"],
    )


async def check_join_rate(svc: Services, request: Req, token: str) -> None:
    per_ip = RateLimitItemPerMinute(svc.public_joins_per_15min, 15)
    per_link = RateLimitItemPerMinute(svc.public_joins_per_15min * 20, 15)
    ip = request.client.host if request.client else "unknown"
    link = security.token_hash(token).hex()  # the link itself is never stored
    for item, namespace, key in ((per_ip, "join-ip", ip), (per_link, "join-link", link)):
        await enforce(
            svc.limiter,
            item,
            namespace,
            key,
            "Too many sign-ups through this link. Wait a few minutes and try again.",
        )


class PublicInterviewController(Controller):
    """The public link of an interview: candidates enter their own name and email."""

    path = "/public-interviews"
    tags = ["candidate"]
    responses = error_responses(404, 410)

    @get("/{token:str}")
    async def show(self, request: Req, token: FromPath[str]) -> s.PublicInterview:
        async with services(request.app.state).db.platform() as conn:
            i = await repo.interview_by_public_token(conn, security.token_hash(token))
        if i is None:
            raise NotFound("This interview link is not valid.", code="invalid_link")
        if i["status"] != "active":
            raise NotFound("This interview is not taking candidates.", code="interview_closed")
        return s.PublicInterview(
            title=i["title"],
            intro=i["intro"],
            language=i["language"],
            organization=i["organization_name"],
        )

    @post(
        "/{token:str}/join",
        status_code=HTTP_202_ACCEPTED,
        responses=error_responses(400, 409, 422, 429),
    )
    async def join(self, request: Req, token: FromPath[str], data: JSONBody[s.Join]) -> s.Joined:
        """Become a candidate. Someone already registered gets one more link by email instead
        (the links they hold keep working). Limited per client address and per link."""
        svc = services(request.app.state)
        await check_join_rate(svc, request, token)
        async with svc.db.platform() as conn:
            i = await repo.interview_by_public_token(conn, security.token_hash(token))
        if i is None or i["status"] != "active":
            raise NotFound("This interview is not taking candidates.", code="interview_closed")
        async with svc.db.tenant(i["organization_id"]) as t:
            try:
                async with savepoint(t.conn):
                    _, link = await interviews.add_candidate(
                        t,
                        None,
                        i["id"],
                        {"name": data.name, "email": data.email},
                        svc.public_url,
                        billing=svc.billing,
                        source="public_link",
                        send_email=True,
                    )
                return s.Joined(link=link, emailed=True)
            except PaymentRequired as e:  # the plan's words are for the organization, not them
                raise Conflict(
                    "This interview is not taking new candidates right now.",
                    code="interview_full",
                ) from e
            except Conflict:
                existing = await interview_repo.candidate_by_email(
                    t, i["id"], normalize_email(data.email)
                )
                if existing is None or existing["status"] in ("completed", "revoked"):
                    raise
                await interviews.send_new_link(t, existing, svc.public_url, "public_link")
                return s.Joined(link=None, emailed=True)
