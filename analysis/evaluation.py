"""Evaluating an answer's content against its rubric — advisory only: people decide.

Two engines share one interface (``RubricEvaluator``): ``analysis.llm_evaluation`` asks an LLM
behind an OpenAI-compatible API; ``LocalRubricEvaluator`` (here) needs no model: per criterion it checks which of the criterion's key
terms (from its name and its description of a strong answer) the answer mentions, scores the
coverage 1-5, and quotes the sentences that mention them, with their timestamps. It is
transparent and clearly labelled as keyword coverage, not an AI judgment. It reads content only:
the words, never the voice, face or manner of speaking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    score: int  # 1-5
    rationale: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Evaluation:
    method: str
    label: str
    criteria: list[CriterionResult]
    summary: str
    tokens_in: int | None = None  # what the run cost, for the audit record
    tokens_out: int | None = None

    @property
    def overall(self) -> float | None:
        total = sum(c.weight for c in self.criteria)
        if not total:
            return None
        return round(sum(c.score * c.weight for c in self.criteria) / total, 2)

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "label": self.label,
            "summary": self.summary,
            "overall": self.overall,
            "criteria": [
                {
                    "criterion": c.criterion,
                    "weight": c.weight,
                    "score": c.score,
                    "rationale": c.rationale,
                    "evidence": [
                        {"quote": e.quote, "start": e.start, "end": e.end} for e in c.evidence
                    ],
                }
                for c in self.criteria
            ],
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

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "label": self.label,
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


class LocalRubricEvaluator:
    method = "local_rubric"
    label = "Keyword coverage of the rubric (not an AI judgment)"
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
            coverage = len(found) / len(key) if key else 0.0
            score = 1 + round(4 * coverage)
            quotes = [u for u in units if set(terms(u.quote)) & set(found)][:3]
            missing = [key[k] for k in key if k not in found]
            rationale = (
                f"Mentions {len(found)} of {len(key)} key terms"
                + (f" ({', '.join(key[k] for k in found)})" if found else "")
                + (f"; not mentioned: {', '.join(missing)}" if missing else "")
                + "."
            )
            results.append(
                CriterionResult(
                    criterion["name"], int(criterion.get("weight", 1)), score, rationale, quotes
                )
            )
        words = len(text.split())
        summary = (
            f"{words} words. Rubric coverage by keywords; read or watch the answer before deciding."
        )
        return Evaluation(self.method, self.label, results, summary)

    async def summarize(self, answers: list[EvaluatedAnswer]) -> CandidateSummary:
        strengths, concerns, scores = [], [], []
        for answer in answers:
            for c in answer.result.get("criteria", []):
                scores.append(c["score"])
                line = f"{answer.question} — {c['criterion']}: {c['score']}/5"
                if c["score"] >= 4:
                    strengths.append(line)
                elif c["score"] <= 2:
                    concerns.append(line)
        average = f"{sum(scores) / len(scores):.1f}/5" if scores else "no scores"
        summary = (
            f"{len(answers)} answer{'s' * (len(answers) != 1)} evaluated; average keyword"
            f" coverage {average}. Strengths"
            " are criteria whose key terms were mostly mentioned, concerns those mostly missing."
        )
        return CandidateSummary(self.method, self.label, summary, strengths, concerns)
