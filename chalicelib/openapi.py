"""The OpenAPI 3.1 description of the HTTP API (a test keeps it equal to the routes)."""

from __future__ import annotations

from typing import Any

from chalicelib.experts import MAX_EXPERTS, PANEL
from chalicelib.jobs.model import API_FIELDS, JobType
from chalicelib.validation import DEFAULT_PAGE, MAX_PAGE, MAX_RSSD_DIGITS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


IDRSSD = {
    "name": "idrssd",
    "in": "path",
    "required": True,
    "description": "The bank's Federal Reserve RSSD ID.",
    "schema": {"type": "string", "pattern": f"^[1-9][0-9]{{0,{MAX_RSSD_DIGITS - 1}}}$"},
}
JOB_ID = {
    "name": "jobId",
    "in": "path",
    "required": True,
    "description": "The job that made the artifact.",
    "schema": {"type": "string", "format": "uuid"},
}
JOB_TYPE = {
    "name": "type",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "enum": [str(kind) for kind in JobType]},
}
START_HEADERS = {
    "Location": {"schema": {"type": "string"}, "description": "Where to poll the job."},
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds between polls."},
}
BAD_INPUT = _error("Bad RSSD ID, type or body.")


def _start_operation(summary: str, body_schema: dict[str, Any], extra: dict[str, Any]) -> Any:
    return {
        "summary": summary,
        "parameters": [IDRSSD],
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": body_schema}},
        },
        "responses": {
            "202": {**_json(_ref("StartResponse"), "Job created."), "headers": START_HEADERS},
            "200": {
                **_json(_ref("StartResponse"), "A job is already active: joined."),
                "headers": START_HEADERS,
            },
            "400": BAD_INPUT,
            "404": _error("Unknown bank."),
            "409": _error(
                "The bank has no financial data loaded (code no_data); for a podcast, also "
                "when the bank has no finished report yet (code report_required)."
            ),
            "503": _error("No worker could be started; try again."),
            **extra,
        },
    }


_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer", "minimum": 0},
    "time": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
    "enum": {"type": "string"},
}


def job_schema_properties() -> dict[str, Any]:
    """The Job schema, from the one table of the job's fields (``FIELDS``)."""
    properties: dict[str, Any] = {}
    for spec in API_FIELDS:
        schema = dict(_KIND_SCHEMAS[spec.kind], description=spec.description)
        if spec.enum:
            schema["enum"] = list(spec.enum)
        if spec.nullable:
            schema["type"] = [schema["type"], "null"]
        properties[str(spec.api)] = schema
    properties["progress"]["maximum"] = 100
    return properties


def _library_path(kind: str, noun: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"The bank's past {noun}s, newest first (one Query).",
            "parameters": [IDRSSD],
            "responses": {
                "200": _json(_ref("Library"), f"The {noun}s, with their dates and sizes."),
                "400": BAD_INPUT,
            },
        }
    }


def _version_path(schema: str, noun: str, missing: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"One past {noun}, by the job that made it.",
            "parameters": [IDRSSD, JOB_ID],
            "responses": {
                "200": _json(_ref(schema), f"The {noun}."),
                "400": _error("Bad RSSD ID or job id."),
                "404": _error(f"No such {noun} (code {missing})."),
            },
        }
    }


RECENT_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The nextCursor of the previous page.",
        "schema": {"type": "string"},
    },
]


def openapi_document() -> dict[str, Any]:
    job_properties = job_schema_properties()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bank Research",
            "version": "1.0.0",
            "description": "Background research reports and podcasts about U.S. banks.",
        },
        "paths": {
            "/api/research/{idrssd}/generate-background": {
                "post": _start_operation(
                    "Start a research report job, or join the active one.",
                    {"type": "object", "additionalProperties": False},
                    {},
                )
            },
            "/api/research/{idrssd}/podcast/generate-background": {
                "post": _start_operation(
                    "Start a podcast job, or join the active one.",
                    {
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
                    },
                    {},
                )
            },
            "/api/research/{idrssd}/job-status": {
                "get": {
                    "summary": "The current job of this bank and type.",
                    "parameters": [
                        IDRSSD,
                        JOB_TYPE,
                        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json(_ref("JobStatus"), "The job, or hasJob false."),
                        "304": {"description": "Unchanged since the ETag sent."},
                        "400": BAD_INPUT,
                    },
                }
            },
            "/api/research/{idrssd}/job": {
                "delete": {
                    "summary": "Cancel the active job of this bank and type.",
                    "parameters": [IDRSSD, JOB_TYPE],
                    "responses": {
                        "200": _json(_ref("JobStatus"), "The cancelled job."),
                        "400": BAD_INPUT,
                        "404": _error("No active job to cancel."),
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
                    },
                }
            },
            "/api/research/{idrssd}/reports": _library_path("reports", "report"),
            "/api/research/{idrssd}/reports/{jobId}": _version_path(
                "Report", "report", "no_report"
            ),
            "/api/research/{idrssd}/podcasts": _library_path("podcasts", "podcast"),
            "/api/research/{idrssd}/podcasts/{jobId}": _version_path(
                "Podcast", "podcast", "no_podcast"
            ),
            "/api/research/recent": {
                "get": {
                    "summary": "The latest jobs across banks: active first, then recent "
                    "outcomes (an index, never a Scan), a page at a time.",
                    "parameters": RECENT_PARAMETERS,
                    "responses": {
                        "200": _json(_ref("RecentJobs"), "A page of jobs."),
                        "400": _error("Bad limit or cursor."),
                    },
                }
            },
            "/api/banks": {
                "get": {
                    "summary": "Find banks by name, city, state or the start of an RSSD ID.",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "description": "Search text (at most 100 characters); empty lists "
                            "the first page.",
                            "schema": {"type": "string", "maxLength": 100},
                        }
                    ],
                    "responses": {
                        "200": _json(_ref("BankList"), "At most 50 banks, by name."),
                        "400": _error("Unusable search text."),
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
                        "404": _error("Unknown bank."),
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
                    },
                }
            },
            "/api/research/{idrssd}/podcast/audio": {
                "get": {
                    "summary": "The latest podcast's MP3, through a short-lived S3 link.",
                    "parameters": [IDRSSD],
                    "responses": {
                        "302": {
                            "description": "Redirect to a presigned S3 URL valid for 10 minutes.",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                        },
                        "400": BAD_INPUT,
                        "404": _error("No finished podcast yet (code no_podcast)."),
                    },
                }
            },
            "/api/podcast/experts": {
                "get": {
                    "summary": "The podcast host and the experts to choose from.",
                    "responses": {"200": _json(_ref("ExpertPanel"), "The panel.")},
                }
            },
            "/": {
                "get": {
                    "summary": "The web page: bank search, key figures, reports and podcasts.",
                    "responses": {"200": {"description": "HTML.", "content": {"text/html": {}}}},
                }
            },
            "/assets/{name}": {
                "get": {
                    "summary": "The page's stylesheet and script.",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {"description": "CSS or JavaScript."},
                        "404": _error("No such file."),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": {"description": "OpenAPI 3.1 document."}},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "code"],
                    "properties": {
                        "error": {
                            "type": "string",
                            "description": "A sentence for the people using the service: "
                            "their situation and what they can do (no commands or routes).",
                        },
                        "code": {"type": "string", "description": "Stable, snake_case."},
                        "detail": {
                            "type": "string",
                            "description": "Only on some errors: what an API client or "
                            "operator can do (a route to call, a command to run). Not meant "
                            "to be shown to end users.",
                        },
                    },
                },
                "Job": {
                    "type": "object",
                    "required": list(job_properties),
                    "properties": job_properties,
                },
                "Library": {
                    "type": "object",
                    "description": "Under 'reports' or 'podcasts': entries with jobId, "
                    "generatedAt, asOf, bytes, url (and writer, model; or experts, "
                    "durationSeconds).",
                    "properties": {"count": {"type": "integer"}},
                    "additionalProperties": {"type": "array", "items": {"type": "object"}},
                },
                "RecentJobs": {
                    "type": "object",
                    "required": ["jobs", "count", "nextCursor"],
                    "properties": {
                        "jobs": {"type": "array", "items": _ref("Job")},
                        "count": {"type": "integer"},
                        "nextCursor": {"type": ["string", "null"]},
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
                "Report": {
                    "type": "object",
                    "required": [
                        "idrssd",
                        "bank",
                        "asOf",
                        "generatedAt",
                        "jobId",
                        "writer",
                        "synthetic",
                        "sections",
                        "series",
                    ],
                    "properties": {
                        "idrssd": {"type": "string"},
                        "bank": {"type": "object"},
                        "asOf": {"type": "string", "description": "Quarter end, yyyymmdd."},
                        "generatedAt": {"type": "string", "format": "date-time"},
                        "jobId": {"type": "string"},
                        "writer": {"enum": ["template", "bedrock"]},
                        "model": {"type": ["string", "null"]},
                        "synthetic": {"type": "boolean"},
                        "sections": {"type": "array", "items": _ref("ReportSection")},
                        "keyFigures": {"type": "object"},
                        "keyMetrics": {"type": "object"},
                        "peers": {"type": "object"},
                        "series": {"type": "array", "items": {"type": "object"}},
                        "notes": {"type": "array", "items": {"type": "string"}},
                    },
                },
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
                        "latestQuarter": {"type": ["string", "null"]},
                        "totalAssets": {"type": ["number", "null"]},
                    },
                },
                "BankList": {
                    "type": "object",
                    "required": ["banks", "count"],
                    "properties": {
                        "banks": {"type": "array", "items": _ref("BankSummary")},
                        "count": {"type": "integer"},
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
                        "series": {"type": "array", "items": {"type": "object"}},
                        "peers": {"type": ["object", "null"]},
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
                    },
                },
                "Podcast": {
                    "type": "object",
                    "required": [
                        "idrssd",
                        "jobId",
                        "asOf",
                        "generatedAt",
                        "host",
                        "experts",
                        "script",
                        "durationSeconds",
                        "engine",
                        "audioUrl",
                    ],
                    "properties": {
                        "idrssd": {"type": "string"},
                        "bank": {"type": "object"},
                        "jobId": {"type": "string"},
                        "asOf": {"type": "string", "description": "Report quarter, yyyymmdd."},
                        "generatedAt": {"type": "string", "format": "date-time"},
                        "synthetic": {"type": "boolean"},
                        "sourceReport": {"type": "object"},
                        "host": _ref("Expert"),
                        "experts": {"type": "array", "items": _ref("Expert")},
                        "script": {"type": "array", "items": _ref("PodcastLine")},
                        "words": {"type": "integer"},
                        "writer": {"enum": ["template", "bedrock"]},
                        "model": {"type": ["string", "null"]},
                        "engine": {
                            "type": "string",
                            "description": "polly, espeak-ng-library or espeak-ng-program.",
                        },
                        "durationSeconds": {"type": "number"},
                        "sampleRate": {"type": "integer"},
                        "bitRateKbps": {"type": "integer"},
                        "audioBytes": {"type": "integer"},
                        "audioUrl": {"type": "string"},
                        "audioSrc": {
                            "type": "string",
                            "description": "A signed S3 link to the MP3, valid for minutes.",
                        },
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
        },
    }
