"""One rule for one-line text (names, titles, emails): no control characters. CR and LF in a
name would end up in email subjects and headers (where they are refused, or worse, inject
headers), NUL cannot be stored, and the rest garble exports and logs. Schemas use the types;
text that arrives outside a schema (a CSV import) goes through ``check_one_line``."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
ONE_LINE_PATTERN = rf"^[^{_CONTROLS}]*$"
_CONTROL = re.compile(rf"[{_CONTROLS}]")

OneLine = Annotated[str, msgspec.Meta(pattern=ONE_LINE_PATTERN)]
Name = Annotated[OneLine, msgspec.Meta(min_length=1, max_length=200)]
Title = Annotated[OneLine, msgspec.Meta(min_length=1, max_length=200)]
Email = Annotated[OneLine, msgspec.Meta(min_length=3, max_length=254, examples=["ada@example.com"])]

CONTROL_DETAIL = "Names, titles and emails must be one line without control characters"


def check_one_line(field: str, value: str) -> None:
    from api.errors import Invalid  # api.errors words this rule's schema errors: import late

    if _CONTROL.search(value):
        raise Invalid(f"{CONTROL_DETAIL} ({field}).", code="control_characters")


def is_control_character_error(message: str) -> bool:
    """Whether a schema validation message is this rule's (the pattern appears in it)."""
    return ONE_LINE_PATTERN.replace("\\", "\\\\") in message or ONE_LINE_PATTERN in message


def one_line(value: str) -> str:
    """The text with each control character made a space: for email headers built from text
    stored before this rule, or from anywhere else."""
    return _CONTROL.sub(" ", value)
