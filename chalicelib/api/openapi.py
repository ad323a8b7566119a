"""The OpenAPI 3.1 description of the HTTP API, as data (a test keeps it equal to the routes).

Module-level data: reusable parameters and responses under ``components``, the schemas
(the Job schema generated from the job's one field table, ``chalicelib/jobs/model.py``
``FIELDS``; the Report and Podcast schemas from their documents' dataclasses), and the
paths. Security follows the mode the app was imported with
(``API_AUTH``, read once as the routes read it): every ``/api`` operation needs a Cognito
token or a program's API key unless it says ``"security": []`` (the public routes and the
page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import documents
from chalicelib.api import openapi_batches
from chalicelib.api.auth import API_KEY_HEADER, TOKEN_HEADER, auth_mode
from chalicelib.api.validation import DEFAULT_PAGE, MAX_PAGE, MAX_RSSD_DIGITS
from chalicelib.banks.search import CONTROL_CHARACTER, MAX_AMOUNT_DIGITS, MAX_QUERY_LENGTH, SORTS
from chalicelib.experts import MAX_EXPERTS, PANEL
from chalicelib.jobs.cursor import MAX_CURSOR_CHARS
from chalicelib.jobs.model import API_FIELDS, JobField, JobType
from chalicelib.jobs.overview import STATE_FILTERS, STATES
from chalicelib.podcasts.archive import AUDIO_URL_SECONDS
from chalicelib.podcasts.document import PodcastDocument
from chalicelib.reports.document import ReportDocument


def _ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _parameter(name: str) -> dict[str, str]:
    return _ref(name, "parameters")


def _response(name: str) -> dict[str, str]:
    return _ref(name, "responses")


# The Job schema, from the field table -----------------------------------------------------

_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer", "minimum": 0},
    "time": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
    "enum": {"type": "string"},
}
_FIELD_LIMITS: dict[str, dict[str, Any]] = {"progress": {"maximum": 100}}


def field_schema(spec: JobField) -> dict[str, Any]:
    """One job field as JSON Schema: its kind, its values, whether it may be null."""
    schema: dict[str, Any] = {**_KIND_SCHEMAS[spec.kind], "description": spec.description}
    if spec.enum:
        schema["enum"] = [str(value) for value in spec.enum]
    if spec.nullable:
        schema["type"] = [schema["type"], "null"]
    return {**schema, **_FIELD_LIMITS.get(str(spec.api), {})}


def job_schema() -> dict[str, Any]:
    """The Job schema: every field the API shows (``FIELDS`` with an API name)."""
    properties = {str(spec.api): field_schema(spec) for spec in API_FIELDS}
    return {"type": "object", "required": list(properties), "properties": properties}


def document_schema(
    document_type: type[Any],
    served: Mapping[str, dict[str, Any]] | None = None,
    served_required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A stored document's schema, from its keys (``chalicelib/documents.py``), with what
    the API adds when it serves it (``served``)."""
    described = documents.keys(document_type)
    properties = {key.api: key.schema for _, key in described} | dict(served or {})
    required = [key.api for _, key in described if key.required] + list(served_required)
    return {"type": "object", "required": required, "properties": properties}


def _counts(keys: tuple[str, ...]) -> dict[str, Any]:
    properties = {key: {"type": "integer", "minimum": 0} for key in keys}
    return {"type": "object", "properties": properties}


def _filter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name, "in": "query", "required": False,
        "description": description, "schema": schema,
    }  # fmt: skip


OVERVIEW_FILTERS = [
    _filter("status", "Only jobs in this state (active: pending or running).",
            {"type": "string", "enum": list(STATE_FILTERS)}),
    _filter("type", "Only jobs of this kind.",
            {"type": "string", "enum": [str(kind) for kind in JobType]}),
    _filter(
        "bank", "Only this bank's jobs (its RSSD ID; empty: every bank's).",
        {"type": "string", "pattern": f"^([1-9][0-9]{{0,{MAX_RSSD_DIGITS - 1}}})?$"},
    ),
    _filter("mine", "Only the jobs the caller started.", {"type": "boolean", "default": False}),
]  # fmt: skip


# Security ----------------------------------------------------------------------------------

SECURITY_SCHEMES = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": API_KEY_HEADER,
        "description": "A program's own API key, issued by an admin (bank-research admin key "
        "create NAME); deployed with API_AUTH=cognito, keys are taken at the programs' "
        "address (GET /api/auth/config, programs).",
    },
    "cognito": {
        "type": "apiKey",
        "in": "header",
        "name": TOKEN_HEADER,
        "description": "A signed-in person's ID token from the user pool that GET "
        "/api/auth/config names (API_AUTH=cognito, the default).",
    },
}
SECURITY_BY_MODE: dict[str, list[dict[str, list[str]]]] = {
    "api_key": [{"apiKey": []}],
    "cognito": [{"cognito": []}, {"apiKey": []}],
    "none": [],
}
OPEN: list[dict[str, list[str]]] = []  # an operation anyone may call


# Parameters and responses ------------------------------------------------------------------

PARAMETERS = {
    "idrssd": {
        "name": "idrssd",
        "in": "path",
        "required": True,
        "description": "The bank's Federal Reserve RSSD ID.",
        "schema": {"type": "string", "pattern": f"^[1-9][0-9]{{0,{MAX_RSSD_DIGITS - 1}}}$"},
    },
    "jobId": {
        "name": "jobId",
        "in": "path",
        "required": True,
        "description": "The job that made the artifact.",
        "schema": {"type": "string", "format": "uuid"},
    },
    "type": {
        "name": "type",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "enum": [str(kind) for kind in JobType]},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The nextCursor of the previous page, as it was given (an opaque "
        f"base64url string of at most {MAX_CURSOR_CHARS} characters, format cursor); any other "
        "value is refused (400 invalid_cursor). "
        "Empty or absent: the first page.",
        "schema": {"type": "string", "format": "cursor"},
    },
    "q": {
        "name": "q",
        "in": "query",
        "required": False,
        "description": f"Search text (at most {MAX_QUERY_LENGTH} characters, no control "
        "characters); empty lists the first page.",
        "schema": {
            "type": "string",
            "maxLength": MAX_QUERY_LENGTH,
            "not": {"pattern": CONTROL_CHARACTER},
        },
    },
    "state": {
        "name": "state",
        "in": "query",
        "required": False,
        "description": "Only banks of this state or territory (two-letter code, e.g. NY); "
        "empty, as every filter, means not given.",
        "schema": {"type": "string", "pattern": "^([A-Za-z]{2})?$"},
    },
    "minAssets": {
        "name": "minAssets",
        "in": "query",
        "required": False,
        "description": "Only banks with at least these total assets, in thousands of dollars.",
        "schema": {"type": "string", "pattern": f"^([0-9]{{1,{MAX_AMOUNT_DIGITS}}})?$"},
    },
    "maxAssets": {
        "name": "maxAssets",
        "in": "query",
        "required": False,
        "description": "Only banks with at most these total assets, in thousands of dollars.",
        "schema": {"type": "string", "pattern": f"^([0-9]{{1,{MAX_AMOUNT_DIGITS}}})?$"},
    },
    "hasData": {
        "name": "hasData",
        "in": "query",
        "required": False,
        "description": "true: banks with figures; false: banks known by name only.",
        "schema": {"enum": ["true", "false", ""]},
    },
    "sort": {
        "name": "sort",
        "in": "query",
        "required": False,
        "description": "name (banks with figures first, then by name; the default) or "
        "assets (largest first).",
        "schema": {"enum": [*SORTS, ""]},
    },
    "bankCursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The nextCursor of the previous page of the same search (opaque, "
        "format bank-cursor); any other string is refused with invalid_cursor.",
        "schema": {"type": "string", "format": "bank-cursor"},
    },
    "ifNoneMatch": {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
    "asset": {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
}
RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
START_HEADERS = {
    "Location": {"schema": {"type": "string"}, "description": "Where to poll the job."},
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds between polls."},
}
RESPONSES = {
    "BadInput": _error("Bad RSSD ID, type or body."),
    "Unauthorized": _error(
        "No valid token (code unauthorized): with API_AUTH=cognito, send a signed-in user's "
        f"ID token in {TOKEN_HEADER}."
    ),
    "Forbidden": _error(
        f"No valid API key (code invalid_api_key: send one in {API_KEY_HEADER}), or "
        "credentials that do not allow the request (access_denied)."
    ),
    "TooManyRequests": {
        **_error(
            "Too many requests for this key (throttled), its daily quota used up "
            "(quota_exceeded), or, for a start, too many new jobs this minute (rate_limited)."
        ),
        "headers": {"Retry-After": RETRY_AFTER},
    },
    "Busy": {
        **_error(
            "Storage is busy (code busy), no worker could be started (worker_unavailable), or "
            "a table or bucket is missing (unavailable): try again after Retry-After; pollers "
            "keep polling."
        ),
        "headers": {"Retry-After": RETRY_AFTER},
    },
    "UnknownRoute": _error("No such route or method (code unknown_route)."),
}
# What any /api operation may answer besides its own: refused credentials, limits, a busy
# backend. (Every error, API Gateway's own included, is an Error: {"error", "code"}.)
GUARDED = {
    "401": _response("Unauthorized"),
    "403": _response("Forbidden"),
    "429": _response("TooManyRequests"),
    "503": _response("Busy"),
}
BAD_INPUT = _response("BadInput")
IDRSSD = _parameter("idrssd")
JOB_TYPE = _parameter("type")


def _start(summary: str, body: dict[str, Any], body_required: bool = False) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [IDRSSD],
        "requestBody": {
            "required": body_required,
            "description": "JSON; an empty body (of any content type) counts as {}.",
            "content": {"application/json": {"schema": body}},
        },
        "responses": {
            "202": {**_json(_ref("StartResponse"), "Job created."), "headers": START_HEADERS},
            "200": {
                **_json(_ref("StartResponse"), "A job is already active: joined."),
                "headers": START_HEADERS,
            },
            "400": BAD_INPUT,
            "404": _error("Unknown bank (code bank_not_found)."),
            "409": _error(
                "The bank has no financial data loaded (code no_data); for a podcast, also "
                "when the bank has no finished report yet (code report_required)."
            ),
            "415": _error("A non-empty body that is not JSON (code unsupported_media_type)."),
            **GUARDED,
        },
    }


def _library(noun: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"The bank's past {noun}s, newest first (one Query).",
            "parameters": [IDRSSD],
            "responses": {
                "200": _json(_ref("Library"), f"The {noun}s, with their dates and sizes."),
                "400": BAD_INPUT,
                **GUARDED,
            },
        }
    }


def _version(schema: str, noun: str, missing: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"One past {noun}, by the job that made it.",
            "parameters": [IDRSSD, _parameter("jobId")],
            "responses": {
                "200": _json(_ref(schema), f"The {noun}."),
                "400": _error("Bad RSSD ID or job id."),
                "404": _error(f"No such {noun} (code {missing})."),
                **GUARDED,
            },
        }
    }


EXPERTS_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["experts"],
    "properties": {
        "experts": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_EXPERTS,
            "uniqueItems": True,
            "items": {"enum": [expert.id for expert in PANEL]},
        }
    },
}


# Paths -------------------------------------------------------------------------------------

PATHS: dict[str, Any] = {
    "/api/research/{idrssd}/generate-background": {
        "post": _start(
            "Start a research report job, or join the active one.",
            {"type": "object", "additionalProperties": False},
        )
    },
    "/api/research/{idrssd}/podcast/generate-background": {
        "post": _start("Start a podcast job, or join the active one.", EXPERTS_BODY, True)
    },
    "/api/research/{idrssd}/job-status": {
        "get": {
            "summary": "The current job of this bank and type.",
            "parameters": [IDRSSD, JOB_TYPE, _parameter("ifNoneMatch")],
            "responses": {
                "200": _json(_ref("JobStatus"), "The job, or hasJob false."),
                "304": {"description": "Unchanged since the ETag sent."},
                "400": BAD_INPUT,
                **GUARDED,
            },
        }
    },
    "/api/research/{idrssd}/job": {
        "delete": {
            "summary": "Cancel the active job of this bank and type: it ends failed, with "
            "errorCode cancelled. Only its starter or an admin may.",
            "parameters": [IDRSSD, JOB_TYPE],
            "responses": {
                "200": _json(_ref("JobStatus"), "The cancelled job."),
                "400": BAD_INPUT,
                "404": _error("No active job to cancel (code no_active_job)."),
                **GUARDED,
                "403": _error(
                    "Someone else started the job (code not_your_job), or the credentials "
                    "were refused (invalid_api_key, access_denied)."
                ),
            },
        }
    },
    "/api/research/{idrssd}/report": {
        "get": {
            "summary": "The bank's latest finished research report.",
            "parameters": [IDRSSD],
            "responses": {
                "200": _json(_ref("Report"), "The report."),
                "400": BAD_INPUT,
                "404": _error("No finished report yet (code no_report)."),
                **GUARDED,
            },
        }
    },
    "/api/research/{idrssd}/reports": _library("report"),
    "/api/research/{idrssd}/reports/{jobId}": _version("Report", "report", "no_report"),
    "/api/research/{idrssd}/podcasts": _library("podcast"),
    "/api/research/{idrssd}/podcasts/{jobId}": _version("Podcast", "podcast", "no_podcast"),
    "/api/research/recent": {
        "get": {
            "summary": "The latest jobs across banks: active first, then recent outcomes (one "
            "Query of an index, never a Scan), a page at a time, filtered, with the counts of "
            "every job the page read by status and type (before the filters).",
            "parameters": [_parameter("limit"), _parameter("cursor"), *OVERVIEW_FILTERS],
            "responses": {
                "200": _json(_ref("RecentJobs"), "A page of jobs."),
                "400": _error("Bad limit, cursor or filter."),
                **GUARDED,
            },
        }
    },
    "/api/research/{idrssd}/podcast": {
        "get": {
            "summary": "The bank's latest finished podcast: script, panel and audio link.",
            "parameters": [IDRSSD],
            "responses": {
                "200": _json(_ref("Podcast"), "The podcast."),
                "400": BAD_INPUT,
                "404": _error("No finished podcast yet (code no_podcast)."),
                **GUARDED,
            },
        }
    },
    "/api/research/{idrssd}/podcast/audio": {
        "get": {
            "summary": "The latest podcast's MP3, through a short-lived S3 link.",
            "parameters": [IDRSSD],
            "responses": {
                "302": {
                    "description": "Redirect to a presigned S3 URL valid for "
                    f"{AUDIO_URL_SECONDS // 60} minutes.",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                "400": BAD_INPUT,
                "404": _error("No finished podcast yet (code no_podcast)."),
                **GUARDED,
            },
        }
    },
    "/api/batches/{batchId}/failures": {
        "get": {
            "summary": "The banks of a batch whose work failed, each with its sentence (a "
            "retry of the batch replays them).",
            "parameters": [_parameter("batchId")],
            "responses": {
                "200": _json(_ref("BatchFailures"), "The failed banks (none: an empty list)."),
                "400": BAD_INPUT,
                "404": _error("No such batch (code batch_not_found)."),
                **GUARDED,
            },
        }
    },
    "/api/banks": {
        "get": {
            "summary": "Find banks by name (or a former name), city, state, the start of an "
            "RSSD ID or an FDIC certificate; filter by state, total assets and whether "
            "figures are loaded; sort by name or total assets.",
            "parameters": [
                _parameter(name)
                for name in ("q", "state", "minAssets", "maxAssets", "hasData", "sort")
            ]
            + [_parameter("bankCursor")],
            "responses": {
                "200": _json(_ref("BankList"), "At most 50 banks; nextCursor for more."),
                "400": _error(
                    "Unusable search text, filter, sort or cursor (codes invalid_query, "
                    "invalid_filter, invalid_sort, invalid_cursor)."
                ),
                **GUARDED,
            },
        }
    },
    "/api/banks/{idrssd}": {
        "get": {
            "summary": "One bank's profile, latest figures, metrics, series and peers.",
            "parameters": [IDRSSD],
            "responses": {
                "200": _json(_ref("BankProfile"), "The bank."),
                "400": BAD_INPUT,
                "404": _error("Unknown bank (code bank_not_found)."),
                **GUARDED,
            },
        }
    },
    "/api/podcast/experts": {
        "get": {
            "summary": "The podcast host and the experts to choose from (open).",
            "security": OPEN,
            "responses": {
                "200": _json(_ref("ExpertPanel"), "The panel."),
                "429": _response("TooManyRequests"),
            },
        }
    },
    "/api/auth/config": {
        "get": {
            "summary": "How to sign in and where programs' keys are issued (open: a sign-in "
            "form needs it first).",
            "security": OPEN,
            "responses": {
                "200": _json(_ref("AuthConfig"), "The sign-in settings."),
                "429": _response("TooManyRequests"),
            },
        }
    },
    "/": {
        "get": {
            "summary": "The web page: bank search, key figures, reports and podcasts.",
            "security": OPEN,
            "responses": {"200": {"description": "HTML.", "content": {"text/html": {}}}},
        }
    },
    "/assets/{name}": {
        "get": {
            "summary": "The page's stylesheet and scripts.",
            "security": OPEN,
            "parameters": [_parameter("asset")],
            "responses": {
                "200": {"description": "CSS or JavaScript."},
                "404": _error("No such file (code not_found)."),
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document (open: a client learns here which credentials to send).",
            "security": OPEN,
            "responses": {
                "200": {"description": "OpenAPI 3.1 document."},
                "429": _response("TooManyRequests"),
            },
        }
    },
    "/api/health": {
        "get": {
            "summary": "Whether the service is ready: its tables, its bank data and its "
            "workers (open, and cheap: at most one GetItem). Locally every /api route "
            "answers 503 starting until the stack is ready.",
            "security": OPEN,
            "responses": {
                "200": _json(_ref("Health"), "Ready."),
                "503": _json(
                    _ref("Health"),
                    "Not ready yet (code starting, no_bank_data, no_workers or unavailable; "
                    "or busy), with Retry-After.",
                ),
            },
        }
    },
}


# Schemas -----------------------------------------------------------------------------------

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "code"],
        "properties": {
            "error": {
                "type": "string",
                "description": "A sentence for the people using the service: their situation "
                "and what they can do (no commands or routes).",
            },
            "code": {"type": "string", "description": "Stable, snake_case."},
            "detail": {
                "type": "string",
                "description": "Only on some errors: what an API client or operator can do (a "
                "route to call, a command to run). Not meant to be shown to end users.",
            },
        },
    },
    "Job": job_schema(),
    "Library": {
        "type": "object",
        "description": "Under 'reports' or 'podcasts': entries with jobId, "
        "generatedAt, asOf, bytes, url (and writer, model; or experts, "
        "durationSeconds).",
        "properties": {"count": {"type": "integer"}},
        "additionalProperties": {"type": "array", "items": {"type": "object"}},
    },
    "Health": {
        "type": "object",
        "required": ["ready", "checks"],
        "properties": {
            "ready": {"type": "boolean"},
            "checks": {
                "type": "object",
                "description": "tables (up, missing), bankData (loaded, none, unknown), "
                "workers (configured, missing).",
                "additionalProperties": {"type": "string"},
            },
            "code": {"type": "string", "description": "Why it is not ready."},
            "error": {"type": "string", "description": "The same, for people."},
        },
    },
    "RecentJobs": {
        "type": "object",
        "required": ["jobs", "count", "nextCursor", "counts", "you"],
        "properties": {
            "jobs": {"type": "array", "items": _ref("Job")},
            "count": {"type": "integer"},
            "nextCursor": {"type": ["string", "null"]},
            "counts": {
                "type": "object",
                "description": "Of every job the page read, before the filters: total, by "
                "status (a cancelled job counts as cancelled, not failed) and by type.",
                "properties": {
                    "total": {"type": "integer"},
                    "status": _counts(STATES),
                    "type": _counts(tuple(str(kind) for kind in JobType)),
                },
            },
            "you": {
                "type": "object",
                "description": "Who asks: startedBy as their jobs carry it, and whether they "
                "may cancel anyone's job.",
                "properties": {"startedBy": {"type": "string"}, "admin": {"type": "boolean"}},
            },
        },
    },
    "JobStatus": {
        "type": "object",
        "required": ["hasJob"],
        "properties": {"hasJob": {"type": "boolean"}, "job": _ref("Job")},
    },
    "StartResponse": {
        "type": "object",
        "required": ["created", "hasJob", "job"],
        "properties": {
            "created": {"type": "boolean"},
            "hasJob": {"const": True},
            "job": _ref("Job"),
        },
    },
    "ReportSection": {
        "type": "object",
        "required": ["id", "title", "markdown", "html"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "markdown": {"type": "string"},
            "html": {"type": "string", "description": "Sanitized HTML."},
        },
    },
    "Report": document_schema(ReportDocument),
    "BankSummary": {
        "type": "object",
        "required": ["idrssd", "name", "city", "state", "synthetic", "hasData"],
        "properties": {
            "idrssd": {"type": "string"},
            "name": {"type": "string"},
            "city": {"type": "string"},
            "state": {"type": "string"},
            "synthetic": {"type": "boolean"},
            "hasData": {"type": "boolean"},
            "data": {"enum": ["loaded", "none"]},
            "latestQuarter": {"type": ["string", "null"]},
            "stoppedFiling": {
                "type": "boolean",
                "description": "Its latest quarter is older than the newest one held.",
            },
            "totalAssets": {"type": ["number", "null"], "description": "Thousands of dollars."},
            "fdicCert": {"type": ["string", "null"]},
            "formerNames": {"type": "array", "items": {"type": "string"}},
        },
    },
    "BankList": {
        "type": "object",
        "required": ["banks", "count", "total", "nextCursor"],
        "properties": {
            "banks": {"type": "array", "items": _ref("BankSummary")},
            "count": {"type": "integer", "description": "Banks on this page."},
            "total": {"type": "integer", "description": "Banks that match."},
            "nextCursor": {"type": ["string", "null"]},
        },
    },
    "BankLink": {
        "type": "object",
        "description": "Another RSSD ID the bank's FDIC certificate was filed under.",
        "properties": {
            "idrssd": {"type": "string"},
            "name": {"type": "string"},
            "lastQuarter": {"type": "string", "description": "Its last quarter filed."},
        },
    },
    "FigureInContext": {
        "type": "object",
        "required": ["value", "kind", "changes", "percentile", "peerMedian", "peerBanks"],
        "properties": {
            "value": {"type": ["number", "null"]},
            "kind": {
                "enum": ["ratio", "amount"],
                "description": "ratio: in percent; amount: in thousands of dollars.",
            },
            "changes": {
                "type": "object",
                "required": ["qoq", "yoy"],
                "description": "Change from the quarter-end before (qoq) and the same "
                "quarter-end a year before (yoy): for a ratio in percentage points, for an "
                "amount in percent of the earlier amount. null when either quarter is not in "
                "the data (a missing quarter is never bridged), a value is unknown, or an "
                "earlier amount is zero or negative.",
                "properties": {
                    "qoq": {"type": ["number", "null"]},
                    "yoy": {"type": ["number", "null"]},
                },
            },
            "percentile": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "Among the banks of its size band and kind in the same quarter "
                "(peers): the share of the others reporting the metric whose value is lower, "
                "ties half. null for metrics not compared with peers, or alone in its band.",
            },
            "peerMedian": {"type": ["number", "null"]},
            "peerBanks": {
                "type": ["integer", "null"],
                "description": "How many banks the size band holds (peers.label names it).",
            },
        },
    },
    "BankProfile": {
        "type": "object",
        "required": ["idrssd", "name", "synthetic", "data"],
        "properties": {
            "idrssd": {"type": "string"},
            "name": {"type": "string"},
            "city": {"type": "string"},
            "state": {"type": "string"},
            "synthetic": {"type": "boolean"},
            "data": {"enum": ["loaded", "none"]},
            "message": {"type": "string"},
            "latestQuarter": {"type": ["string", "null"]},
            "figures": {"type": ["object", "null"]},
            "metrics": {"type": ["object", "null"]},
            "series": {
                "type": "array",
                "items": {"type": "object"},
                "description": "One row a quarter, oldest first: its metrics and amounts, and "
                "peerMedians, the medians of the bank's peer group in that quarter (null when "
                "the data records none for it).",
            },
            "peers": {
                "type": ["object", "null"],
                "description": "Its peer group in its latest quarter: banks of the same size "
                "band (bucket, label) and kind, how many (banks), the group's medians and "
                "the bank's percentile on each metric (0 lowest, 100 highest).",
            },
            "context": {
                "type": "object",
                "description": "Each metric and amount of the latest quarter in context, by "
                "name (the series' names: roa, nim, totalAssets, deposits ...). Empty when the "
                "bank has no figures.",
                "additionalProperties": _ref("FigureInContext"),
            },
            "notes": {"type": "array", "items": {"type": "string"}},
            "incomeUnknown": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Quarters shown whose income is not available: the quarter "
                "before is not in the data (call reports give income year to date).",
            },
            "source": {
                "type": ["object", "null"],
                "description": "Where the figures come from: kind (ffiec_cdr or synthetic), "
                "title, quarter, producedAt (when FFIEC's CDR produced the file).",
            },
            "reporting": {
                "type": ["object", "null"],
                "description": "status current or stopped (it filed no later call report), "
                "firstQuarter, lastQuarter, newestQuarter held.",
            },
            "fdicCert": {"type": ["string", "null"]},
            "filingType": {"type": ["string", "null"]},
            "formerNames": {"type": "array", "items": {"type": "string"}},
            "successor": {"oneOf": [_ref("BankLink"), {"type": "null"}]},
            "predecessors": {"type": "array", "items": _ref("BankLink")},
            "research": {
                "type": "object",
                "description": "Which finished research exists for the bank.",
                "properties": {
                    "report": {"type": "boolean"},
                    "podcast": {"type": "boolean"},
                },
            },
        },
    },
    "Expert": {
        "type": "object",
        "required": ["id", "name", "title", "focus", "voice"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "focus": {"type": "string"},
            "voice": {"type": "object"},
        },
    },
    "PodcastLine": {
        "type": "object",
        "required": ["speaker", "name", "text"],
        "properties": {
            "speaker": {"type": "string", "description": "'host' or an expert id."},
            "name": {"type": "string"},
            "text": {"type": "string"},
            "start": {
                "type": ["number", "null"],
                "description": "Second at which the line begins in the audio (absent in "
                "podcasts made before it was recorded).",
            },
        },
    },
    "Podcast": document_schema(
        PodcastDocument,
        # What the archive adds when it serves a podcast: the audio's links.
        served={
            "audioUrl": {"type": "string"},
            "audioSrc": {
                "type": "string",
                "description": "A signed S3 link to the MP3, valid for minutes.",
            },
            "downloadSrc": {
                "type": "string",
                "description": "The same MP3 signed to be saved as a file (Content-Disposition:"
                ' attachment; filename="<bank>-podcast.mp3"), valid for minutes.',
            },
        },
        served_required=("audioUrl",),
    ),
    "AuthConfig": {
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"type": "string", "enum": ["cognito", "api_key", "none"]},
            "signIn": {
                "type": "object",
                "description": "With mode cognito: the user pool, its app client, the Cognito "
                "endpoint for InitiateAuth (USER_PASSWORD_AUTH) and the admins' group.",
                "required": ["region", "userPoolId", "clientId", "endpoint", "adminGroup"],
                "properties": {
                    name: {"type": "string"}
                    for name in ("region", "userPoolId", "clientId", "endpoint", "adminGroup")
                },
            },
            "programs": {
                "type": "object",
                "description": "The API that takes programs' keys (x-api-key).",
                "required": ["header", "restApiId", "stage", "region"],
                "properties": {
                    name: {"type": "string"}
                    for name in ("header", "restApiId", "stage", "region", "awsEndpoint")
                },
            },
        },
    },
    "BatchFailures": {
        "type": "object",
        "required": ["failures"],
        "properties": {
            "failures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["idrssd", "bankName", "errorCode", "message", "jobId"],
                    "properties": {
                        "idrssd": {"type": "string"},
                        "bankName": {
                            "type": ["string", "null"],
                            "description": "The bank's name, when its work reached a job.",
                        },
                        "errorCode": {"type": ["string", "null"]},
                        "message": {"type": ["string", "null"]},
                        "jobId": {"type": ["string", "null"]},
                    },
                },
            }
        },
    },
    "ExpertPanel": {
        "type": "object",
        "properties": {
            "host": _ref("Expert"),
            "experts": {"type": "array", "items": _ref("Expert")},
            "maxExperts": {"type": "integer"},
        },
    },
}


PATHS |= openapi_batches.PATHS
PARAMETERS |= openapi_batches.PARAMETERS
SCHEMAS |= openapi_batches.SCHEMAS

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Bank Research",
        "version": "1.0.0",
        "description": "Background research reports and podcasts about U.S. banks. Every "
        'error, the gateway\'s own included, is {"error": "<a sentence>", "code": '
        '"<snake_case>"}; an unknown route is 404 unknown_route.',
    },
    "security": SECURITY_BY_MODE[auth_mode()],
    "paths": PATHS,
    "components": {
        "securitySchemes": SECURITY_SCHEMES,
        "parameters": PARAMETERS,
        "responses": RESPONSES,
        "schemas": SCHEMAS,
    },
}


def openapi_document() -> dict[str, Any]:
    """The document ``GET /api/openapi.json`` serves."""
    return DOCUMENT
