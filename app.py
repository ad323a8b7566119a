"""HTTP routes and worker entry points. Each parses input, calls one function, maps errors."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Response
from chalice.app import Request, SQSEvent

from chalicelib import runtime, telemetry
from chalicelib.auth import auth_config, route_auth
from chalicelib.aws_errors import is_missing_resource, is_transient
from chalicelib.banks.search import SEARCH_PARAMETERS, parse_search
from chalicelib.batches.request import parse_batch_id, parse_batch_request
from chalicelib.batches.settings import BATCH_SIZE, batch_concurrency
from chalicelib.batches.worker import Record as BatchRecord
from chalicelib.errors import INTERNAL_ERROR_MESSAGE, ConfigError, DomainError
from chalicelib.experts import panel_to_api
from chalicelib.http import (
    busy_response,
    domain_error_response,
    error_response,
    health_response,
    job_status_response,
    json_response,
    listing_response,
    recent_response,
    redirect_response,
    start_response,
    unavailable_response,
)
from chalicelib.http_edge import finish_routes, read_json_object
from chalicelib.jobs.model import Caller, JobType
from chalicelib.jobs.service import record_failed_delivery
from chalicelib.kinds import KINDS
from chalicelib.logs import log
from chalicelib.openapi import openapi_document
from chalicelib.research import bank_overview
from chalicelib.validation import (
    parse_cursor,
    parse_idrssd,
    parse_job_id,
    parse_job_type,
    parse_limit,
    parse_overview_filters,
)
from chalicelib.web.routes import web

app = Chalice(app_name="bank-research", configure_logs=False)  # logs: chalicelib/logs.py
app.register_middleware(telemetry.middleware, "all")
app.register_blueprint(web)

# Who may call /api/... (API_AUTH): read at import, when Chalice reads the routes.
AUTH = route_auth()

# Lambda's on-failure destination for both workers. Like API_AUTH, read at import, when
# Chalice reads the decorators: `make package` sets it to the stack's queue name
# (FailedWorkerEvents' QueueName in infra/resources.json); the local stage names its own.
FAILURE_QUEUE = os.environ.get("FAILED_EVENTS_QUEUE") or "bank-research-failed-worker-events"
# The queue of batch items and how many of its workers may run at once (BATCH_CONCURRENCY,
# 2-1000, a setting of the deployment: the model's quota is the real bound, see docs/BATCHES.md).
BATCH_QUEUE = os.environ.get("BATCH_QUEUE") or "bank-research-batch-items"
BATCH_CONCURRENCY = batch_concurrency(os.environ)
INTERNAL_ERROR = INTERNAL_ERROR_MESSAGE


def api(view: Callable[..., Response]) -> Callable[..., Response]:
    """Map domain errors to their status; never let a stack trace reach the client."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except ConfigError as exc:
            log(logging.ERROR, "configuration error", error=exc.message)
            return error_response(500, exc.code, INTERNAL_ERROR)
        except DomainError as exc:
            response = domain_error_response(exc)
            if response is not None:
                return response
            log(logging.ERROR, "unmapped domain error", exc_info=True)
            return error_response(500, "internal_error", INTERNAL_ERROR)
        except Exception as exc:
            if is_transient(exc):
                log(logging.WARNING, "busy downstream", path=_path(), error=type(exc).__name__)
                return busy_response()
            if is_missing_resource(exc):
                log(logging.ERROR, "a table or bucket is missing", path=_path(), error=str(exc))
                return unavailable_response()
            log(logging.ERROR, "unhandled error", exc_info=True, path=_path())
            return error_response(500, "internal_error", INTERNAL_ERROR)

    return wrapper


def _request() -> Request:
    request = app.current_request
    assert request is not None, "only called while handling a request"
    return request


def _path() -> str:
    request = app.current_request
    return request.context.get("path", "") if request is not None else ""


def _query(name: str) -> str | None:
    params = _request().query_params
    return None if params is None else params.get(name)


def _raw_body() -> bytes:
    raw = _request().raw_body
    return raw.encode("utf-8") if isinstance(raw, str) else raw


def _caller() -> Caller:
    return runtime.current().caller(_request().context)


def _start(idrssd: str, job_type: JobType) -> Response:
    bank = parse_idrssd(idrssd)
    body = read_json_object(_raw_body(), _request().headers.get("content-type"))
    params = KINDS[job_type].parse_params(body)
    outcome = runtime.current().jobs.start(bank, job_type, params, _caller())
    return start_response(outcome.job, outcome.created)


@app.route("/api/research/{idrssd}/generate-background", methods=["POST"], **AUTH)
@api
def start_report(idrssd: str) -> Response:
    return _start(idrssd, JobType.REPORT)


@app.route(
    "/api/research/{idrssd}/podcast/generate-background",
    methods=["POST"],
    **AUTH,
)
@api
def start_podcast(idrssd: str) -> Response:
    return _start(idrssd, JobType.PODCAST)


@app.route("/api/research/{idrssd}/job-status", methods=["GET"], **AUTH)
@api
def job_status(idrssd: str) -> Response:
    bank, job_type = parse_idrssd(idrssd), parse_job_type(_query("type"))
    job = runtime.current().jobs.current(bank, job_type)
    return job_status_response(job, _request().headers.get("if-none-match"))


@app.route("/api/research/{idrssd}/job", methods=["DELETE"], **AUTH)
@api
def cancel_job(idrssd: str) -> Response:
    bank, job_type = parse_idrssd(idrssd), parse_job_type(_query("type"))
    job = runtime.current().jobs.cancel(bank, job_type, _caller())
    return json_response({"hasJob": True, "job": job.to_api()})


@app.route("/api/research/{idrssd}/report", methods=["GET"], **AUTH)
@api
def latest_report(idrssd: str) -> Response:
    return json_response(runtime.current().reports.latest(parse_idrssd(idrssd)))


@app.route("/api/research/{idrssd}/reports", methods=["GET"], **AUTH)
@api
def report_library(idrssd: str) -> Response:
    return listing_response("reports", runtime.current().reports.history(parse_idrssd(idrssd)))


@app.route("/api/research/{idrssd}/reports/{jobId}", methods=["GET"], **AUTH)
@api
def past_report(idrssd: str, jobId: str) -> Response:
    bank, job_id = parse_idrssd(idrssd), parse_job_id(jobId)
    return json_response(runtime.current().reports.version(bank, job_id))


@app.route("/api/research/{idrssd}/podcasts", methods=["GET"], **AUTH)
@api
def podcast_library(idrssd: str) -> Response:
    podcasts = runtime.current().podcasts.history(parse_idrssd(idrssd))
    return listing_response("podcasts", podcasts)


@app.route("/api/research/{idrssd}/podcasts/{jobId}", methods=["GET"], **AUTH)
@api
def past_podcast(idrssd: str, jobId: str) -> Response:
    bank, job_id = parse_idrssd(idrssd), parse_job_id(jobId)
    return json_response(runtime.current().podcasts.version(bank, job_id))


@app.route("/api/research/recent", methods=["GET"], **AUTH)
@api
def recent_jobs() -> Response:
    limit, cursor = parse_limit(_query("limit")), parse_cursor(_query("cursor"))
    filters, caller = parse_overview_filters(_request().query_params), _caller()
    page = runtime.current().jobs.recent(limit, cursor, filters, caller)
    return recent_response(page.jobs, page.following, page.counts, caller)


@app.route("/api/research/{idrssd}/podcast", methods=["GET"], **AUTH)
@api
def latest_podcast(idrssd: str) -> Response:
    return json_response(runtime.current().podcasts.latest(parse_idrssd(idrssd)))


@app.route("/api/research/{idrssd}/podcast/audio", methods=["GET"], **AUTH)
@api
def podcast_audio(idrssd: str) -> Response:
    return redirect_response(runtime.current().podcasts.presigned_audio_url(parse_idrssd(idrssd)))


@app.route("/api/banks", methods=["GET"], **AUTH)
@api
def search_banks() -> Response:
    search = parse_search({name: _query(name) for name in SEARCH_PARAMETERS})
    return json_response(runtime.current().catalog.search(search))


@app.route("/api/banks/{idrssd}", methods=["GET"], **AUTH)
@api
def bank_profile(idrssd: str) -> Response:
    current = runtime.current()
    return json_response(bank_overview(current.catalog, current.store, parse_idrssd(idrssd)))


@app.route("/api/podcast/experts", methods=["GET"])  # public (chalicelib/auth.py)
@api
def podcast_experts() -> Response:
    return json_response(panel_to_api())


@app.route("/api/auth/config", methods=["GET"])  # public: a sign-in form needs it first
@api
def sign_in_config() -> Response:
    return json_response(auth_config(), headers={"Cache-Control": "no-cache"})


@app.route("/api/openapi.json", methods=["GET"])
@api
def openapi() -> Response:
    return json_response(openapi_document())


# Public, as the page and this document are: a load balancer or a script asks it first.
@app.route("/api/health", methods=["GET"])
@api
def health() -> Response:
    return health_response(runtime.current().health())


# Batches: one kind of work for many banks (chalicelib/batches, docs/BATCHES.md).


@app.route("/api/batches", methods=["POST"], **AUTH)
@api
def start_batch() -> Response:
    body = read_json_object(_raw_body(), _request().headers.get("content-type"))
    batch = runtime.current().batches.start(parse_batch_request(body), _caller())
    return json_response({"batch": batch.to_api()}, status=202)


@app.route("/api/batches", methods=["GET"], **AUTH)
@api
def list_batches() -> Response:
    limit, after = parse_limit(_query("limit")), _query("cursor")
    batches, following = runtime.current().batches.newest(
        limit, None if after is None else parse_batch_id(after)
    )
    return json_response({"batches": [b.to_api() for b in batches], "nextCursor": following})


@app.route("/api/batches/{batch_id}", methods=["GET"], **AUTH)
@api
def batch_status(batch_id: str) -> Response:
    batch = runtime.current().batches.get(parse_batch_id(batch_id))
    return json_response({"batch": batch.to_api()})


@app.route("/api/batches/{batch_id}/failures", methods=["GET"], **AUTH)
@api
def batch_failures(batch_id: str) -> Response:
    failed = runtime.current().batches.failures(parse_batch_id(batch_id))
    return json_response({"failures": [item.failure_to_api() for item in failed]})


@app.route("/api/batches/{batch_id}", methods=["DELETE"], **AUTH)
@api
def cancel_batch(batch_id: str) -> Response:
    batch = runtime.current().batches.cancel(parse_batch_id(batch_id), _caller())
    return json_response({"batch": batch.to_api()})


@app.route("/api/batches/{batch_id}/retry", methods=["POST"], **AUTH)
@api
def retry_batch(batch_id: str) -> Response:
    batch = runtime.current().batches.retry(parse_batch_id(batch_id), _caller())
    return json_response({"batch": batch.to_api()}, status=202)


def _run_worker(event: Any, context: Any) -> dict[str, str]:
    # Raises Redeliver when Lambda should deliver the event again (docs/ARCHITECTURE.md).
    current = runtime.current()
    outcome = current.runner.handle(event, current.delivery(context))
    return {"jobId": outcome.job_id, "outcome": outcome.result}


@app.lambda_function(name="report_worker")
def report_worker(event: Any, context: Any) -> dict[str, str]:
    return _run_worker(event, context)


@app.lambda_function(name="podcast_worker")
def podcast_worker(event: Any, context: Any) -> dict[str, str]:
    return _run_worker(event, context)


@app.on_sqs_message(queue=FAILURE_QUEUE, batch_size=10, name="worker_failures")
def worker_failures(event: SQSEvent) -> None:
    """Fail each job whose event Lambda gave up on (after its retries or its maximum age)."""
    store = runtime.current().worker.store  # a background function: the patient clients
    for record in event:
        record_failed_delivery(store, _json_or_none(record.body))


@app.on_sqs_message(
    queue=BATCH_QUEUE, batch_size=BATCH_SIZE, name="batch_items",
    maximum_concurrency=BATCH_CONCURRENCY,
)  # fmt: skip
def batch_items(event: SQSEvent) -> dict[str, Any]:
    """Each bank of a batch: its job, run here; what may pass is handed back to the queue."""
    current = runtime.current()
    records = [BatchRecord.of(record) for record in event]
    again = current.batch_worker.handle(records, current.delivery(event.context))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in again]}


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


# Last, after every route: any content type, CORS only as configured, one error shape.
finish_routes(app)
