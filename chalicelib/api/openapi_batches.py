"""The batch routes' part of the OpenAPI document: their paths, parameter and schemas, the
batch's fields and counts taken from ``chalicelib/batches`` (its states, its limits)."""

from __future__ import annotations

from typing import Any

from chalicelib.batches.model import COUNTED, BatchStatus
from chalicelib.batches.request import BATCH_KINDS, MAX_AMOUNT, MAX_NAMED_BANKS


def _ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _answer(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _error(description: str) -> dict[str, Any]:
    return _answer("Error", description)


GUARDED = {
    "401": _ref("Unauthorized", "responses"),
    "429": _ref("TooManyRequests", "responses"),
    "503": _ref("Busy", "responses"),
}
FORBIDDEN = _error(
    "Only administrators run batches outside the local stage (code admins_only); only the "
    "batch's starter or an administrator may change it (not_your_batch); or credentials "
    "that were refused (invalid_api_key, access_denied)."
)
NOT_FOUND = _error("No such batch, or it ended more than a day ago (code batch_not_found).")
BAD_ID = _error("Not a batch id (code invalid_batch_id).")
BATCH_ID = _ref("batchId", "parameters")
RSSD = {"type": "string", "pattern": "^[1-9][0-9]{0,9}$"}

PARAMETERS: dict[str, Any] = {
    "batchId": {
        "name": "batchId",
        "in": "path",
        "required": True,
        "description": "The batch, as its start or the list of batches gave it.",
        "schema": {"type": "string", "format": "uuid"},
    },
    "batchCursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The nextCursor of the previous page (a batch id).",
        "schema": {"type": "string", "format": "uuid"},
    },
}

SCHEMAS: dict[str, Any] = {
    "BatchRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": [str(kind) for kind in BATCH_KINDS]},
            "quarter": {
                "type": "string",
                "pattern": "^(latest|[0-9]{4}(0331|0630|0930|1231))$",
                "description": "latest (the default), or the latest quarter's last day: "
                "reports are written from each bank's latest quarter.",
            },
            "banks": {"type": "array", "items": RSSD, "minItems": 1, "maxItems": MAX_NAMED_BANKS},
            "filter": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "state": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                    "minAssets": {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT - 1},
                    "maxAssets": {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT - 1},
                },
            },
        },
        "not": {"required": ["banks", "filter"]},
    },
    "Batch": {
        "type": "object",
        "required": ["batchId", "type", "quarter", "status", "total", *map(str, COUNTED)],
        "properties": {
            "batchId": {"type": "string", "format": "uuid"},
            "type": {"type": "string"},
            "quarter": {"type": "string"},
            "status": {"type": "string", "enum": [str(status) for status in BatchStatus]},
            "total": {"type": "integer", "minimum": 0},
            **{str(state): {"type": "integer", "minimum": 0} for state in COUNTED},
            "selection": {"type": "object"},
            "startedBy": {"type": "string"},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
            "finishedAt": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "BatchAnswer": {
        "type": "object",
        "required": ["batch"],
        "properties": {"batch": _ref("Batch")},
    },
    "Batches": {
        "type": "object",
        "required": ["batches", "nextCursor"],
        "properties": {
            "batches": {"type": "array", "items": _ref("Batch")},
            "nextCursor": {"type": ["string", "null"]},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/batches": {
        "post": {
            "summary": "Start a batch: the report of every bank with figures for the latest "
            "quarter, of those a filter admits, or of the banks named.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("BatchRequest")}},
            },
            "responses": {
                "202": _answer("BatchAnswer", "The batch, its banks queued."),
                "400": _error(
                    "A bad body (codes invalid_type, invalid_quarter, invalid_banks, "
                    "invalid_filter, invalid_batch, unknown_field)."
                ),
                "403": FORBIDDEN,
                "409": _error(
                    "Nothing to do with the data as it is: the quarter is not the "
                    "latest loaded (unknown_quarter), a bank named has no figures "
                    "for it (banks_without_data), or no bank matches "
                    "(no_banks_selected)."
                ),
                "415": _error("A body that is not JSON (code unsupported_media_type)."),
                **GUARDED,
            },
        },
        "get": {
            "summary": "Batches, newest first, with their counts.",
            "parameters": [_ref("limit", "parameters"), _ref("batchCursor", "parameters")],
            "responses": {
                "200": _answer("Batches", "A page of batches."),
                "400": _error("Bad limit or cursor."),
                "403": FORBIDDEN,
                **GUARDED,
            },
        },
    },
    "/api/batches/{batchId}": {
        "get": {
            "summary": "One batch: its status and how many of its banks are queued, running, "
            "completed, failed, skipped or cancelled (exact once it ends).",
            "parameters": [BATCH_ID],
            "responses": {
                "200": _answer("BatchAnswer", "The batch."),
                "400": BAD_ID,
                "403": FORBIDDEN,
                "404": NOT_FOUND,
                **GUARDED,
            },
        },
        "delete": {
            "summary": "Cancel the banks of the batch that have not started (running ones finish).",
            "parameters": [BATCH_ID],
            "responses": {
                "200": _answer("BatchAnswer", "The cancelled batch."),
                "400": BAD_ID,
                "403": FORBIDDEN,
                "404": NOT_FOUND,
                "409": _error("The batch has already ended (code batch_conflict)."),
                **GUARDED,
            },
        },
    },
    "/api/batches/{batchId}/retry": {
        "post": {
            "summary": "Queue the batch's failed banks again, and only those.",
            "parameters": [BATCH_ID],
            "requestBody": {
                "required": False,
                "description": "None, or {}.",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "additionalProperties": False}
                    }
                },
            },
            "responses": {
                "202": _answer("BatchAnswer", "The batch, its failed banks queued again."),
                "400": _error("Not a batch id (invalid_batch_id), or a field (unknown_field)."),
                "403": FORBIDDEN,
                "404": NOT_FOUND,
                "409": _error("No bank of the batch failed (code batch_conflict)."),
                "415": _error("A body that is not JSON (code unsupported_media_type)."),
                **GUARDED,
            },
        }
    },
}
