"""The documents the API serves as they were stored (the report, the podcast), as
dataclasses whose fields name their API key and JSON Schema.

One description gives the document a feature builds, the JSON stored and served
(``to_api``), and its OpenAPI schema (``openapi.document_schema``), as ``FIELDS`` does for
the job.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, get_type_hints


@dataclass(frozen=True)
class Key:
    """One key of a document, the metadata of its field's type (``Annotated[str, Key(…)]``):
    its API name, its JSON Schema, and whether every stored document has it."""

    api: str
    schema: dict[str, Any]
    required: bool = True


def keys(document_type: type[Any]) -> list[tuple[str, Key]]:
    """The fields of a document class, in order, each with its key."""
    hints = get_type_hints(document_type, include_extras=True)
    return [
        (spec.name, next(meta for meta in hints[spec.name].__metadata__ if isinstance(meta, Key)))
        for spec in fields(document_type)
    ]


def to_api(document: Any) -> dict[str, Any]:
    """The document as stored and served: each field under its API name."""
    return {key.api: getattr(document, name) for name, key in keys(type(document))}


def ref(name: str) -> dict[str, str]:
    """A reference to another schema of the API's document (``components/schemas``)."""
    return {"$ref": f"#/components/schemas/{name}"}


STRING: dict[str, Any] = {"type": "string"}
OBJECT: dict[str, Any] = {"type": "object"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
INTEGER: dict[str, Any] = {"type": "integer"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
WRITER: dict[str, Any] = {"enum": ["template", "bedrock"]}
MODEL: dict[str, Any] = {"type": ["string", "null"]}
