"""Evaluating an answer's content against its rubric — advisory only: people decide.

Two engines share one interface (``RubricEvaluator``): ``analysis.llm_evaluation`` asks an LLM
behind an OpenAI-compatible API; ``LocalRubricEvaluator`` (here) needs no model: per criterion it lists which of the criterion's key
points (the content words of its name and its description of a strong answer) the answer
mentions and which it does not, and quotes the sentences that mention them, with their
timestamps. It gives no grade and no overall number: mentioning a rubric's words says nothing
about an answer's quality (a concrete answer in its own words covers few of them), so its
results are ``graded: false`` and nothing ranks or sorts candidates by them. It reads content
only: the words, never the voice, face or manner of speaking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from analysis.prompt_safety import instruction_like

PROMPT_VERSION = "local-rubric-1"

_STOP = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "their",
        "there",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "you",
        "your",
        "we",
        "our",
        "i",
        "me",
        "my",
        "not",
        "no",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "why",
        "when",
        "where",
        "about",
        "into",
        "over",
        "under",
        "than",
        "then",
        "so",
        "such",
        "very",
        "more",
        "most",
        "less",
        "least",
        "also",
        "just",
        "answer",
        "answers",
        "shows",
        "show",
        "strong",
        "good",
        "clear",
        "clearly",
        "concrete",
        "specific",
    ]
)


_SUFFIXES = ("ing", "ed", "es", "ly", "ion", "ment", "s")


def stem(word: str) -> str:
    """A crude, predictable stem: common English suffixes off, then the first 6 letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def key_terms(text: str) -> dict[str, str]:
    """Content words by stem, each with the first word it came from (for people to read)."""
    out: dict[str, str] = {}
    for word in re.findall(r"[\w']+", text.lower()):
        if len(word) < 3 or word in _STOP or word.isdigit():
            continue
        out.setdefault(stem(word), word)
    return out


def terms(text: str) -> list[str]:
    return list(key_terms(text))


@dataclass(frozen=True)
class Evidence:
    quote: str
    start: float | None  # seconds into the answer; None for written answers
    end: float | None


@dataclass
class CriterionResult:
    criterion: str
    weight: int
    score: int | None  # 1-5 from an evaluator that judges content; None for coverage
    rationale: str
    evidence: list[Evidence] = field(default_factory=list)
    covered: list[str] | None = None  # coverage only: the key points the answer mentions
    missing: list[str] | None = None  # coverage only: those it does not


@dataclass
class Evaluation:
    method: str
    label: str
    criteria: list[CriterionResult]
    summary: str
    tokens_in: int | None = None  # what the run cost, for the audit record
    tokens_out: int | None = None
    # Phrases of the answer that read as instructions to the evaluator, for the reviewer.
    instruction_like: list[str] = field(default_factory=list)

    @property
    def graded(self) -> bool:
        """Whether the evaluator judged content (scores 1-5), not only listed coverage."""
        return bool(self.criteria) and all(c.score is not None for c in self.criteria)

    @property
    def overall(self) -> float | None:
        total = sum(c.weight for c in self.criteria)
        if not total or not self.graded:
            return None
        return round(sum((c.score or 0) * c.weight for c in self.criteria) / total, 2)

    def as_json(self) -> dict[str, Any]:
        criteria = []
        for c in self.criteria:
            item: dict[str, Any] = {
                "criterion": c.criterion,
                "weight": c.weight,
                "score": c.score,
                "rationale": c.rationale,
                "evidence": [
                    {"quote": e.quote, "start": e.start, "end": e.end} for e in c.evidence
                ],
            }
            if c.covered is not None:
                item["covered"], item["missing"] = c.covered, c.missing or []
            criteria.append(item)
        return {
            "method": self.method,
            "label": self.label,
            "graded": self.graded,
            "summary": self.summary,
            "overall": self.overall,
            "criteria": criteria,
            "instruction_like": self.instruction_like,
        }


@dataclass
class CandidateSummary:
    """Across a candidate's evaluated answers: a summary, strengths and concerns."""

    method: str
    label: str
    summary: str
    strengths: list[str]
    concerns: list[str]
    tokens_in: int | None = None
    tokens_out: int | None = None
    graded: bool = True  # False: a coverage listing, no strengths or concerns judged

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "label": self.label,
            "graded": self.graded,
            "summary": self.summary,
            "strengths": self.strengths,
            "concerns": self.concerns,
        }


@dataclass(frozen=True)
class EvaluatedAnswer:
    question: str
    result: dict[str, Any]  # an ``Evaluation.as_json()``


class RubricEvaluator(Protocol):
    method: str
    provider: str
    model: str
    prompt_version: str

    async def evaluate(
        self,
        prompt: str,
        rubric: list[dict[str, Any]],
        text: str,
        segments: list[dict[str, Any]] | None = None,
    ) -> Evaluation: ...

    async def summarize(self, answers: list[EvaluatedAnswer]) -> CandidateSummary: ...


def criteria_of(prompt: str, rubric: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rubric, or one relevance criterion when the question has none."""
    return rubric or [{"name": "Relevance to the question", "weight": 1, "strong_answer": prompt}]


def sentences(segments: list[dict[str, Any]] | None, text: str) -> list[Evidence]:
    """Quotable units: transcript segments with their times, or a written answer's sentences."""
    if segments:
        return [
            Evidence(s["text"].strip(), s["start"], s["end"]) for s in segments if s["text"].strip()
        ]
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [Evidence(p, None, None) for p in parts if p]


def graded(result: dict[str, Any] | None) -> bool:
    """Whether a stored evaluation result holds scores that judge content. Coverage by the
    local evaluator never does (also results it stored before it stopped giving numbers)."""
    if not result or result.get("method") == LocalRubricEvaluator.method:
        return False
    return result.get("graded", True) is not False


CONFIGURE_HINT = (
    "To have answers judged on their content, configure an LLM evaluator:"
    " FAIRVIEW_LLM_BASE_URL and FAIRVIEW_LLM_MODEL (any OpenAI-compatible server);"
    " see docs/evaluator.md."
)


class LocalRubricEvaluator:
    method = "local_rubric"
    label = "Coverage of the rubric's key points (no grade: not a judgment of the answer)"
    provider = "fairview"
    model = "local-rubric"
    prompt_version = PROMPT_VERSION

    async def evaluate(
        self,
        prompt: str,
        rubric: list[dict[str, Any]],
        text: str,
        segments: list[dict[str, Any]] | None = None,
    ) -> Evaluation:
        units = sentences(segments, text)
        answer_terms = set(terms(text))
        results = []
        for criterion in criteria_of(prompt, rubric):
            key = key_terms(f"{criterion['name']} {criterion.get('strong_answer', '')}")
            found = [k for k in key if k in answer_terms]
            quotes = [u for u in units if set(terms(u.quote)) & set(found)][:3]
            covered = [key[k] for k in found]
            missing = [key[k] for k in key if k not in found]
            rationale = (
                f"Mentions {len(found)} of the {len(key)} key points"
                + (f" ({', '.join(covered)})" if covered else "")
                + (f"; not mentioned: {', '.join(missing)}" if missing else "")
                + ". Words only: an answer can meet the criterion in other words."
            )
            results.append(
                CriterionResult(
                    criterion["name"],
                    int(criterion.get("weight", 1)),
                    None,
                    rationale,
                    quotes,
                    covered=covered,
                    missing=missing,
                )
            )
        words = len(text.split())
        summary = (
            f"{words} words. Which of the rubric's key points the answer mentions, with quotes;"
            " no grade. Read or watch the answer before deciding."
        )
        return Evaluation(
            self.method, self.label, results, summary, instruction_like=instruction_like(text)
        )

    async def summarize(self, answers: list[EvaluatedAnswer]) -> CandidateSummary:
        lines = []
        for answer in answers:
            for c in answer.result.get("criteria", []):
                covered = c.get("covered") or []
                total = len(covered) + len(c.get("missing") or [])
                lines.append(f"{answer.question} — {c['criterion']}: {len(covered)} of {total}")
        n = len(answers)
        summary = (
            f"{n} answer{'s' * (n != 1)} checked for the rubric's key points (mentioned of all,"
            f" per criterion: {'; '.join(lines) or 'none'}). No strengths, concerns or grade:"
            " mentioning words does not make an answer good. " + CONFIGURE_HINT
        )
        return CandidateSummary(self.method, self.label, summary, [], [], graded=False)
