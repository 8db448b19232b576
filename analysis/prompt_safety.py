"""Candidate text on its way into an LLM prompt, and text that tries to steer the evaluator.

``as_data`` makes an answer inert inside a prompt: NFKC normalisation (full-width and other
compatibility forms of ``<``, ``/`` and letters become the plain ones, so they are caught below),
angle brackets and ampersands escaped (no tag can be opened or closed, whatever its spelling or
attributes), and every line break folded into a space (a passage stays one line, so it cannot
pose as a line of the prompt). ``delimiter`` gives a tag name that is new for every request, so
an answer cannot know it. ``instruction_like`` lists the phrases of an answer that read as
instructions to an AI or as messages from the hiring team, for the reviewer to see."""

from __future__ import annotations

import re
import secrets
import unicodedata

LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
INSTRUCTION_LIKE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override)\b[^.!?]{0,40}\b(instructions?|rules?|prompts?|"
        r"guidelines|rubric|above|previous|prior)\b",
        r"\b(new|updated|real|actual|additional)\s+(instructions?|rules?|system prompt)\b",
        r"\bsystem\s*(prompt|message|:)",
        r"\b(assistant|system|user|developer)\s*:",
        r"\byou\s+(are|act)\s+(now\s+)?(an?\s+)?(ai|assistant|language model|evaluator|chatgpt|"
        r"model|grader)\b",
        r"\b(give|assign|award|rate|score)\b[^.!?]{0,40}\b(5|five|10|ten|full|maximum|max|top|"
        r"highest|perfect)\b[^.!?]{0,20}\b(score|marks?|points?|rating|grade|/\s*5)?",
        r"\b(note|message|instructions?)\s+(to|for)\s+(the\s+)?(ai|model|llm|evaluator|grader|"
        r"assistant|reviewer)\b",
        r"\b(from|by)\s+the\s+(hiring|recruiting)\s+team\b",
        r"\bas\s+the\s+(hiring\s+team|recruiter|interviewer|hiring\s+manager)\b",
        r"</?\s*[a-z][\w-]*[^>]{0,40}>",  # markup: tags in a spoken or written answer
        r"&lt;|&gt;|\\u003c|\\x3c",  # escaped angle brackets
        r"\bjson\b[^.!?]{0,30}\b(reply|output|respond|return)\b|\b(reply|respond|output)\s+"
        r"(only\s+)?with\b",
    )
]


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def as_data(text: str) -> str:
    """Candidate text that can neither end its delimiters nor start a line of the prompt."""
    text = LINE_BREAKS.sub(" ", normalise(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def delimiter() -> str:
    """A tag name for one request's data, unknown to the candidate."""
    return f"answer-{secrets.token_hex(8)}"


def instruction_like(text: str) -> list[str]:
    """The phrases that read as instructions to the evaluator (at most 5, each short)."""
    flat = LINE_BREAKS.sub(" ", normalise(text))
    found: list[str] = []
    for pattern in INSTRUCTION_LIKE:
        for match in pattern.finditer(flat):
            phrase = match.group(0).strip()[:120]
            if phrase and phrase not in found:
                found.append(phrase)
    return found[:5]
