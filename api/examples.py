"""Request bodies documented with examples in the OpenAPI document (shown in its UI, and sent
by the schema fuzzer too, so they must stay valid)."""

from __future__ import annotations

from typing import Any

from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, BodyKwarg


def json_body(**examples: Any) -> BodyKwarg:
    """A JSON body with named examples: ``json_body(invite_one={...})``."""
    body: BodyKwarg = Body(
        media_type=RequestEncodingType.JSON,
        examples=[Example(summary=k.replace("_", " "), value=v) for k, v in examples.items()],
    )
    return body
