"""Fairness rules (no HTTP): a candidate's voluntary self-identification, after the interview
only; the adverse-impact report over it and its CSV for an independent auditor."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from api.errors import Conflict
from api.fairness import impact
from api.fairness import repository as repo
from api.fairness import schemas as s
from api.identity.principal import Principal
from api.interviews import service as interviews
from api.reporting.service import safe_cell
from storage.db import Tenant

# ---- the candidate's side -----------------------------------------------------------------


def _require_completed(status: str) -> None:
    """Asked before or during the interview, the question could seem part of the assessment:
    it is offered only once the candidate has finished."""
    if status != "completed":
        raise Conflict(
            "These optional questions open after you finish the interview.",
            code="interview_not_completed",
        )


async def state(t: Tenant, candidate: dict[str, Any]) -> s.SelfIdentificationState:
    return s.SelfIdentificationState(
        available=candidate["status"] == "completed",
        answered=await repo.answered(t, candidate["id"]),
    )


async def answer(
    t: Tenant, candidate: dict[str, Any], data: s.SelfIdentificationIn
) -> s.SelfIdentificationState:
    """Record (or replace) the answer; a form left entirely blank stores nothing."""
    _require_completed(candidate["status"])
    if data.sex is None and data.race is None:
        await repo.withdraw(t, candidate["id"])
    else:
        await repo.record(t, candidate["id"], data.sex, data.race)
    return await state(t, candidate)


async def withdraw(t: Tenant, candidate: dict[str, Any]) -> s.SelfIdentificationState:
    await repo.withdraw(t, candidate["id"])
    return await state(t, candidate)


# ---- the adverse-impact report -------------------------------------------------------------

NOTES = [
    "Categories and method follow the NYC Local Law 144 rules (6 RCNY § 5-300 ff.): sex,"
    " race/ethnicity and their intersections; impact ratio = a category's rate / the highest"
    " category's rate.",
    "Self-identification is voluntary and given after the interview; candidates who did not"
    " answer or preferred not to say are counted as unknown and are in no category.",
    "Only counts are shown: no one's answer can be read, by reviewers, admins or the AI.",
    "The organization report puts every interview's candidates together; the AI stage compares"
    " each candidate's score with the median of their own interview.",
]


async def report(t: Tenant, p: Principal, interview_id: UUID | None) -> s.ImpactReport:
    p.require("fairness:read")
    if interview_id is not None:
        title = (await interviews.get(t, interview_id))["title"]
    else:
        title = await repo.organization_name(t)
    cells = await repo.counts(t, interview_id)
    return s.ImpactReport(
        scope="organization" if interview_id is None else "interview",
        interview_id=str(interview_id) if interview_id else None,
        title=title,
        completed=sum(c.completed for c in cells),
        self_identified=await repo.self_identified(t, interview_id),
        medians=[
            s.InterviewMedian(
                interview_id=str(m["interview_id"]),
                title=m["title"],
                median=round(m["median"], impact.DIGITS),
                scored=m["scored"],
            )
            for m in await repo.medians(t, interview_id)
        ],
        stages=[impact.stage_report(cells, "scoring"), impact.stage_report(cells, "selection")],
        notes=NOTES,
    )


CSV_HEADER = [
    "scope", "interview_id", "title", "stage", "dimension", "category", "label", "candidates",
    "share_of_stage", "selected", "rate", "impact_ratio", "excluded_reason", "small_sample",
    "four_fifths_flag",
]  # fmt: skip


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.{impact.DIGITS}f}"


async def export_csv(t: Tenant, p: Principal, interview_id: UUID | None) -> str:
    """The report's tables, one row per stage, dimension and category (and one `unknown` row
    per table with the candidates in no category), in plain columns an auditor can recompute:
    counts, rates and ratios with 4 decimals, exclusions with their reason."""
    r = await report(t, p, interview_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    head = [r.scope, r.interview_id or "", r.title]
    for stage in r.stages:
        for table in stage.tables:
            for row in table.rows:
                values = [
                    *head, stage.stage, table.dimension, row.category, row.label, row.count,
                    _number(row.share), row.selected, _number(row.rate),
                    _number(row.impact_ratio), row.excluded or "", str(row.small_sample).lower(),
                    str(row.four_fifths).lower(),
                ]  # fmt: skip
                writer.writerow([safe_cell(v) for v in values])
            unknown = [*head, stage.stage, table.dimension, "unknown", "Unknown", table.unknown]
            writer.writerow([safe_cell(v) for v in unknown] + [""] * 7)
    return buffer.getvalue()
