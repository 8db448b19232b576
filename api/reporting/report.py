"""The candidate report: the questions, answers and transcripts, the evaluation with its evidence
and times, the team's ratings, comments and the decision history.

It is built once as a list of blocks and rendered twice: as a self-contained HTML page (every
value escaped) and as a PDF made on the server with fpdf2. The PDF embeds Roboto (from the
font-roboto package, so it needs no system fonts) because the built-in PDF fonts have no Cyrillic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import font_roboto
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from analysis.evaluation import CONFIGURE_HINT, graded

Kind = Literal["title", "subtitle", "section", "heading", "text", "muted", "quote", "table"]


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str = ""
    lead: str = ""  # bold text before `text` (a criterion and its score)
    rows: list[list[str]] = field(default_factory=list)  # a table's header, then its rows


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _seconds(value: Any) -> str:
    return f" ({float(value):.1f} s)" if value is not None else ""


def build(
    candidate: dict[str, Any],
    interview_title: str,
    questions: list[dict[str, Any]],
    ratings: dict[tuple[Any, str], dict[str, Any]],
    comments: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
) -> list[Block]:
    blocks = [
        Block("title", _s(candidate["name"])),
        Block(
            "subtitle",
            f"{_s(candidate['email'])} · {interview_title} · status {_s(candidate['status'])}",
        ),
    ]
    for q in questions:
        blocks.append(Block("section", f"{q['position'] + 1}. {q['prompt']}"))
        if q["answer_id"] is None:
            blocks.append(Block("muted", "Not answered."))
            continue
        text = q["text_answer"] if q["text_answer"] is not None else q["transcript_text"]
        blocks += [
            Block("muted", f"{q['kind']} answer, {q['duration_ms'] / 1000:.0f} s, {q['status']}"),
            Block("heading", "Answer"),
            Block("text", _s(text) or "—"),
        ]
        result = q["evaluation_result"] if q["evaluation_status"] == "ready" else None
        if result:
            judged = graded(result)
            overall = result.get("overall") if judged else None
            blocks += [
                Block(
                    "heading", "Evaluation (advisory)" + (f" · {overall} / 5" if overall else "")
                ),
                Block("muted", _s(result.get("label"))),
                Block("text", _s(result.get("summary"))),
            ]
            if not judged:
                blocks.append(Block("muted", CONFIGURE_HINT))
            for c in result.get("criteria", []):
                grade = f": {_s(c.get('score'))} / 5" if judged else ""
                blocks.append(
                    Block("text", f" — {_s(c.get('rationale'))}", f"{c['criterion']}{grade}")
                )
                blocks += [
                    Block("quote", f"“{e['quote']}”{_seconds(e.get('start'))}")
                    for e in c.get("evidence", [])
                ]
        elif q["evaluation_status"]:
            blocks.append(
                Block("muted", f"Evaluation {q['evaluation_status']}: {_s(q['evaluation_reason'])}")
            )
        rows = [
            [c["name"], _s(r["average"] and round(r["average"], 2)), str(r["n"])]
            for c in q["rubric"]
            if (r := ratings.get((q["answer_id"], c["name"])))
        ]
        if rows:
            blocks += [
                Block("heading", "Team ratings"),
                Block("table", rows=[["Criterion", "Average", "Ratings"], *rows]),
            ]
    blocks.append(Block("section", "Comments"))
    blocks += [
        Block("text", f" {c['created_at']:%Y-%m-%d %H:%M}: {c['body']}", _s(c["author"]))
        for c in comments
    ] or [Block("muted", "None.")]
    blocks.append(Block("section", "Decisions"))
    blocks += [
        Block(
            "text",
            f" by {_s(d['by'])}{': ' + d['note'] if d['note'] else ''}",
            f"{d['created_at']:%Y-%m-%d %H:%M} {d['decision']}",
        )
        for d in decisions
    ] or [Block("muted", "None yet.")]
    return blocks


STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;max-width:50rem;margin:2rem auto;color:#111}"
    "h1{margin-bottom:0}section{break-inside:avoid;border-top:1px solid #ccc;margin-top:1rem}"
    "blockquote{margin:.3rem 0 .3rem 1rem;color:#333}.muted{color:#555}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    "@media print{body{margin:0}}"
)


def html(blocks: list[Block], title: str) -> str:
    e = escape
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{STYLE}</style></head><body>"
    ]
    in_section = False
    for b in blocks:
        lead = f"<strong>{e(b.lead)}</strong>" if b.lead else ""
        if b.kind == "section":
            parts.append(("</section>" if in_section else "") + f"<section><h2>{e(b.text)}</h2>")
            in_section = True
        elif b.kind == "title":
            parts.append(f"<h1>{e(b.text)}</h1>")
        elif b.kind == "heading":
            parts.append(f"<h3>{e(b.text)}</h3>")
        elif b.kind in ("subtitle", "muted"):
            parts.append(f"<p class='muted'>{e(b.text)}</p>")
        elif b.kind == "quote":
            parts.append(f"<blockquote>{e(b.text)}</blockquote>")
        elif b.kind == "table":
            head, *body = b.rows
            parts.append(
                "<table><tr>"
                + "".join(f"<th>{e(c)}</th>" for c in head)
                + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in body)
                + "</table>"
            )
        else:
            parts.append(f"<p>{lead}{e(b.text)}</p>")
    parts.append(("</section>" if in_section else "") + "</body></html>")
    return "".join(parts)


def pdf(blocks: list[Block], title: str) -> bytes:
    doc = FPDF(format="A4")
    doc.set_title(title)
    doc.set_creator("Fairview")
    doc.add_font("Roboto", "", font_roboto.Roboto)
    doc.add_font("Roboto", "B", font_roboto.RobotoBold)
    doc.add_font("Roboto", "I", font_roboto.RobotoItalic)
    doc.set_auto_page_break(True, margin=15)
    doc.add_page()
    width = doc.epw

    def write(text: str, size: float, style: str = "", gray: int = 17, indent: float = 0) -> None:
        doc.set_font("Roboto", style, size)
        doc.set_text_color(gray)
        doc.set_x(doc.l_margin + indent)
        doc.multi_cell(width - indent, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for b in blocks:
        if b.kind == "title":
            write(b.text, 20, "B")
        elif b.kind == "section":
            doc.ln(3)
            doc.set_draw_color(200)
            doc.line(doc.l_margin, doc.get_y(), doc.l_margin + width, doc.get_y())
            doc.ln(2)
            write(b.text, 14, "B")
        elif b.kind == "heading":
            doc.ln(1)
            write(b.text, 11.5, "B")
        elif b.kind in ("subtitle", "muted"):
            write(b.text, 10, gray=85)
        elif b.kind == "quote":
            write(b.text, 10, "I", gray=51, indent=6)
        elif b.kind == "table":
            doc.set_font("Roboto", "", 10)
            doc.set_text_color(17)
            with doc.table(col_widths=(3, 1, 1), text_align="LEFT", line_height=5) as table:
                for r in b.rows:
                    row = table.row()
                    for cell in r:
                        row.cell(cell)
        else:  # a paragraph, its lead in bold, flowing on one line
            doc.set_text_color(17)
            doc.set_font("Roboto", "B", 10.5)
            doc.write(5.2, b.lead)
            doc.set_font("Roboto", "", 10.5)
            doc.write(5.2, b.text)
            doc.ln(5.2)
    return bytes(doc.output())
