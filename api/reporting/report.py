"""The printable candidate report: one self-contained HTML page (print it, or save it as PDF
from the browser) with the questions, transcripts, evaluation with evidence, the team's
ratings, comments and the decision history. Every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;max-width:50rem;margin:2rem auto;color:#111}"
    "h1{margin-bottom:0}section{break-inside:avoid;border-top:1px solid #ccc;margin-top:1rem}"
    "blockquote{margin:.3rem 0 .3rem 1rem;color:#333}.muted{color:#555}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    "@media print{body{margin:0}}"
)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _seconds(value: Any) -> str:
    return f" ({float(value):.1f} s)" if value is not None else ""


def render(
    candidate: dict[str, Any],
    interview_title: str,
    questions: list[dict[str, Any]],
    ratings: dict[tuple[Any, str], dict[str, Any]],
    comments: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
) -> str:
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(candidate['name'])} · {_e(interview_title)}</title><style>{STYLE}</style>"
        "</head><body>",
        f"<h1>{_e(candidate['name'])}</h1>",
        f"<p class='muted'>{_e(candidate['email'])} · {_e(interview_title)} · "
        f"status {_e(candidate['status'])}</p>",
    ]
    for q in questions:
        parts.append(f"<section><h2>{q['position'] + 1}. {_e(q['prompt'])}</h2>")
        if q["answer_id"] is None:
            parts.append("<p class='muted'>Not answered.</p></section>")
            continue
        text = q["text_answer"] if q["text_answer"] is not None else q["transcript_text"]
        parts.append(
            f"<p class='muted'>{_e(q['kind'])} answer, {q['duration_ms'] / 1000:.0f} s,"
            f" {_e(q['status'])}</p><h3>Answer</h3><p>{_e(text or '—')}</p>"
        )
        result = q["evaluation_result"] if q["evaluation_status"] == "ready" else None
        if result:
            overall = result.get("overall")
            parts.append(
                f"<h3>Evaluation (advisory){' · ' + _e(overall) + ' / 5' if overall else ''}</h3>"
                f"<p class='muted'>{_e(result.get('label'))}</p><p>{_e(result.get('summary'))}</p>"
            )
            for c in result.get("criteria", []):
                parts.append(
                    f"<p><strong>{_e(c['criterion'])}: {_e(c['score'])} / 5</strong>"
                    f" — {_e(c.get('rationale'))}</p>"
                )
                parts += [
                    f"<blockquote>“{_e(e['quote'])}”{_seconds(e.get('start'))}</blockquote>"
                    for e in c.get("evidence", [])
                ]
        elif q["evaluation_status"]:
            parts.append(
                f"<p class='muted'>Evaluation {_e(q['evaluation_status'])}:"
                f" {_e(q['evaluation_reason'])}</p>"
            )
        rows = [
            f"<tr><td>{_e(c['name'])}</td><td>{_e(r['average'] and round(r['average'], 2))}"
            f"</td><td>{r['n']}</td></tr>"
            for c in q["rubric"]
            if (r := ratings.get((q["answer_id"], c["name"])))
        ]
        if rows:
            parts.append(
                "<h3>Team ratings</h3><table><tr><th>Criterion</th><th>Average</th>"
                f"<th>Ratings</th></tr>{''.join(rows)}</table>"
            )
        parts.append("</section>")
    parts.append("<section><h2>Comments</h2>")
    parts += [
        f"<p><strong>{_e(c['author'])}</strong> {c['created_at']:%Y-%m-%d %H:%M}: {_e(c['body'])}</p>"
        for c in comments
    ] or ["<p class='muted'>None.</p>"]
    parts.append("</section><section><h2>Decisions</h2>")
    parts += [
        f"<p>{d['created_at']:%Y-%m-%d %H:%M} <strong>{_e(d['decision'])}</strong>"
        f" by {_e(d['by'])}{': ' + _e(d['note']) if d['note'] else ''}</p>"
        for d in decisions
    ] or ["<p class='muted'>None yet.</p>"]
    parts.append("</section></body></html>")
    return "".join(parts)
