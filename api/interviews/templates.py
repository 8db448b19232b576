"""Built-in interview templates to start from (structured, job-related questions with rubrics)."""

from __future__ import annotations

from typing import Any


def _q(prompt: str, criteria: list[tuple[str, int, str]], **kw: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "kind": kw.get("kind", "video"),
        "think_seconds": kw.get("think_seconds", 30),
        "answer_seconds": kw.get("answer_seconds", 120),
        "retakes": kw.get("retakes", 1),
        "required": True,
        "rubric": [{"name": n, "weight": w, "strong_answer": s} for n, w, s in criteria],
    }


TEMPLATES: dict[str, dict[str, Any]] = {
    "customer_support": {
        "title": "Customer support specialist",
        "role_description": "Helps customers by email, chat and phone; resolves issues end to end.",
        "questions": [
            _q(
                "Tell us about a time you turned around an unhappy customer. What did you do?",
                [
                    ("Situation and actions", 3, "Describes a concrete case and their own steps"),
                    ("Outcome", 2, "States the result and what the customer said or did"),
                ],
            ),
            _q(
                "A customer reports a bug you cannot reproduce. Walk us through your next steps.",
                [
                    ("Information gathering", 3, "Asks for environment, steps, screenshots"),
                    ("Communication", 2, "Keeps the customer informed with a time frame"),
                ],
            ),
            _q(
                "Why do you want to work in customer support?",
                [],
                kind="text",
                think_seconds=0,
                answer_seconds=600,
                retakes=0,
            ),
        ],
    },
    "software_engineer": {
        "title": "Software engineer",
        "role_description": "Designs, builds and maintains production services.",
        "questions": [
            _q(
                "Describe a technical decision you made that you would make differently today.",
                [
                    ("Reflection", 3, "Names the decision, the trade-off and what they learned"),
                    ("Technical depth", 2, "Explains the alternatives concretely"),
                ],
            ),
            _q(
                "How do you make sure a change you ship does not break production?",
                [
                    ("Testing", 2, "Automated tests at the right levels"),
                    ("Rollout", 2, "Feature flags, gradual rollout, monitoring, rollback"),
                ],
            ),
            _q(
                "Explain a system you know well to someone outside engineering.",
                [("Clarity", 3, "Structured, jargon-free, checks understanding")],
                kind="audio",
            ),
        ],
    },
    "sales": {
        "title": "Account executive",
        "role_description": "Owns the sales cycle from discovery to close.",
        "questions": [
            _q(
                "Walk us through the last deal you closed, from first call to signature.",
                [
                    ("Process", 3, "Clear stages, qualification, stakeholders"),
                    ("Results", 2, "Deal size, cycle length, what made it work"),
                ],
            ),
            _q(
                "How do you handle the objection 'your product is too expensive'?",
                [("Value framing", 3, "Ties price to customer outcomes with specifics")],
            ),
        ],
    },
}
