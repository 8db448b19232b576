"""Reporting rules: how candidates are compared, scored and exported (no HTTP)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from statistics import mean
from typing import Any, Literal
from uuid import UUID

from analysis.evaluation import graded
from api.errors import NotFound
from api.interviews import service as interviews
from api.reporting import repository as repo
from api.reporting import schemas as s
from api.reporting.report import Block
from api.reporting.report import build as build_report
from api.review import fairness
from api.review import repository as review
from storage.db import Tenant

Sort = Literal["score", "rating", "name"]
EXCERPT_CHARS = 280
MAX_COMPARED = 50


def excerpt(text: str | None) -> str:
    """The answer's first lines, cut at a word."""
    text = " ".join((text or "").split())
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 2) if present else None


async def compare(
    t: Tenant,
    interview_id: UUID,
    candidate_ids: list[UUID] | None,
    user_id: UUID | None,
    sort: Sort = "score",
) -> s.Comparison:
    await interviews.get(t, interview_id)
    people = await repo.candidates(t, interview_id, candidate_ids)
    if candidate_ids is not None and len(people) != len(set(candidate_ids)):
        raise NotFound("No such candidate in this interview.")
    people = people[:MAX_COMPARED]
    questions = await repo.questions(t, interview_id)
    answers = {
        (a["candidate_id"], a["question_id"]): a
        for a in await repo.answers(t, [p["id"] for p in people])
    }
    rows = await repo.ratings(t, [a["answer_id"] for a in answers.values()], user_id)
    rated = {(r["answer_id"], r["criterion"]): r for r in rows}
    mine = fairness.rated_by_viewer(rows)
    visible = {a for (a, _) in rated if fairness.team_visible(user_id, a, mine)}
    out = []
    for p in people:
        cells = [_cell(q, answers.get((p["id"], q["id"])), rated, visible) for q in questions]
        team = [c.team_average for cell in cells for c in cell.criteria]
        out.append(
            s.ComparedCandidate(
                id=p["id"],
                name=p["name"],
                email=p["email"],
                status=p["status"],
                shortlisted=p["shortlisted"],
                decision=p["decision"],
                overall_score=_mean(c.overall for c in cells),
                team_rating=_mean(team),
                answers=cells,
            )
        )
    out.sort(key=_sort_key(sort))
    return s.Comparison(
        interview_id=interview_id,
        questions=[
            s.ComparedQuestion(
                id=q["id"],
                position=q["position"],
                prompt=q["prompt"],
                criteria=[c["name"] for c in q["rubric"]],
            )
            for q in questions
        ],
        candidates=out,
    )


def _sort_key(sort: Sort) -> Any:
    if sort == "name":
        return lambda c: c.name.casefold()
    field = "overall_score" if sort == "score" else "team_rating"
    # Highest first; candidates without a value last.
    return lambda c: (getattr(c, field) is None, -(getattr(c, field) or 0), c.name.casefold())


def _cell(
    q: dict[str, Any],
    a: dict[str, Any] | None,
    rated: dict[tuple[UUID, str], dict[str, Any]],
    visible: set[UUID],
) -> s.AnswerCell:
    evaluation = (
        (a or {}).get("evaluation") if (a or {}).get("evaluation_status") == "ready" else None
    )
    judged = graded(evaluation)  # keyword coverage gives no score to compare or sort by
    results = {c["criterion"]: c for c in (evaluation or {}).get("criteria", [])}
    criteria = []
    for c in q["rubric"]:
        r = rated.get((a["answer_id"], c["name"])) if a else None
        result = results.get(c["name"], {})
        criteria.append(
            s.CriterionCell(
                criterion=c["name"],
                score=result.get("score") if judged else None,
                covered=None if judged else result.get("covered"),
                missing=None if judged else result.get("missing"),
                team_average=round(r["average"], 2)
                if r and a and a["answer_id"] in visible
                else None,
                team_count=r["n"] if r else 0,
                mine=r["mine"] if r else None,
            )
        )
    return s.AnswerCell(
        question_id=q["id"],
        answer_id=a["answer_id"] if a else None,
        status=a["status"] if a else None,
        duration_ms=a["duration_ms"] if a else None,
        excerpt=excerpt(a["text"]) if a else "",
        overall=(evaluation or {}).get("overall") if judged else None,
        criteria=criteria,
    )


async def set_shortlisted(
    t: Tenant, candidate_id: UUID, user_id: UUID | None, starred: bool
) -> None:
    c = await interviews.get_candidate(t, candidate_id)
    await repo.set_shortlisted(t, candidate_id, c["interview_id"], user_id, starred)


# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection, OWASP):
# such cells are prefixed with a quote so they stay text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


async def export_csv(t: Tenant, interview_id: UUID, user_id: UUID | None) -> str:
    """Every candidate of the interview: status, dates, per-criterion scores (from an evaluator
    that judges content; empty for keyword coverage, whose mentioned key points have their own
    column), team ratings and the current decision; one row per candidate."""
    comparison = await compare(t, interview_id, None, user_id, sort="name")
    people = {p["id"]: p for p in await repo.candidates(t, interview_id, None)}
    header = [
        "name", "email", "status", "invited_at", "started_at", "completed_at",
        "overall_score", "team_rating", "decision", "shortlisted",
    ]  # fmt: skip
    for q in comparison.questions:
        for name in q.criteria:
            n = q.position + 1
            header += [
                f"Q{n} {name} score",
                f"Q{n} {name} key points mentioned",
                f"Q{n} {name} team rating",
            ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for c in comparison.candidates:
        p = people[c.id]
        row: list[Any] = [
            c.name, c.email, c.status, _iso(p["created_at"]), _iso(p["started_at"]),
            _iso(p["completed_at"]), c.overall_score, c.team_rating, c.decision or "",
            "yes" if c.shortlisted else "",
        ]  # fmt: skip
        for cell in c.answers:
            for cc in cell.criteria:
                covered = "; ".join(cc.covered) if cc.covered is not None else ""
                row += [cc.score, covered, cc.team_average]
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def _failures(rows: list[dict[str, Any]]) -> list[s.ClientFailures]:
    # (browser, device type: the column's CHECK keeps it one of the schema's) → code → attempts
    groups: dict[tuple[str, Any], dict[str | None, int]] = {}
    for r in rows:
        groups.setdefault((r["browser"], r["device"]), {})[r["failure_code"]] = r["attempts"]
    out = []
    for (browser, device), counts in groups.items():
        attempts = sum(counts.values())
        codes = {code: counts[code] for code in sorted(c for c in counts if c is not None)}
        failed = sum(codes.values())
        out.append(
            s.ClientFailures(
                browser=browser,
                device=device,
                attempts=attempts,
                failed=failed,
                failure_rate=round(failed / attempts, 4),
                codes=codes,
            )
        )
    out.sort(key=lambda f: (-f.attempts, f.browser, f.device))
    return out


def _median(seconds: float | None) -> float | None:
    return round(seconds, 1) if seconds is not None else None


def _days(rows: list[dict[str, Any]]) -> list[s.DayCount]:
    return [s.DayCount(day=d["day"], completed=d["completed"]) for d in rows]


async def funnel(t: Tenant, interview_id: UUID, since: Any, until: Any) -> s.Funnel:
    await interviews.get(t, interview_id)
    counts = await repo.funnel(t, interview_id, since, until)
    median = counts.pop("median_seconds")
    questions = await repo.question_drop_off(t, interview_id, since, until)
    return s.Funnel(
        **counts,
        median_seconds_to_complete=_median(median),
        questions=[
            s.QuestionDropOff(
                question_id=q["id"],
                position=q["position"],
                prompt=q["prompt"],
                answered=q["answered"],
                stopped=q["stopped"],
            )
            for q in questions
        ],
        completed_by_day=_days(await repo.completed_by_day(t, interview_id, since, until)),
        failures=_failures(await repo.attempt_outcomes(t, interview_id, since, until)),
    )


async def organization_funnel(t: Tenant, since: Any, until: Any) -> s.OrganizationFunnel:
    counts = await repo.funnel(t, None, since, until)
    median = counts.pop("median_seconds")
    return s.OrganizationFunnel(
        **counts,
        median_seconds_to_complete=_median(median),
        completed_by_day=_days(await repo.completed_by_day(t, None, since, until)),
        failures=_failures(await repo.attempt_outcomes(t, None, since, until)),
        interviews=[
            s.InterviewTotals(
                interview_id=r["id"],
                title=r["title"],
                invited=r["invited"],
                started=r["started"],
                completed=r["completed"],
            )
            for r in await repo.interview_totals(t, since, until)
        ],
    )


async def report(t: Tenant, candidate_id: UUID, user_id: UUID | None) -> tuple[list[Block], str]:
    """The candidate report's blocks and title; the team's ratings follow the fair-review rule."""
    c = await interviews.get_candidate(t, candidate_id)
    rows = await review.questions_with_answers(t, candidate_id, c["interview_id"])
    title = await review.interview_title(t, c["interview_id"])
    rated = await review.ratings(t, [r["answer_id"] for r in rows if r["answer_id"]], user_id)
    mine = fairness.rated_by_viewer(rated)
    ratings = {
        (r["answer_id"], r["criterion"]): r
        for r in rated
        if fairness.team_visible(user_id, r["answer_id"], mine)
    }
    comments = await review.comments(t, candidate_id)
    decisions = await review.decisions(t, candidate_id)
    blocks = build_report(c, title, rows, ratings, comments, decisions)
    return blocks, f"{c['name']} · {title}"
