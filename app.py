"""HTTP routes and worker entry points. Each parses input and calls one of the process's
services (``chalicelib/bootstrap.py``); chalicelib/api/boundary.py answers what fails."""

from __future__ import annotations

import json
import os
from typing import Any

from chalice import Chalice, Response
from chalice.app import Request, SQSEvent

from chalicelib import telemetry
from chalicelib.api.auth import auth_config, route_auth
from chalicelib.api.edge import finish_routes, read_json_object
from chalicelib.api.http import (
    health_response,
    job_status_response,
    json_response,
    listing_response,
    recent_response,
    redirect_response,
    start_response,
)
from chalicelib.api.openapi import openapi_document
from chalicelib.api.research import bank_overview
from chalicelib.api.validation import (
    parse_cursor,
    parse_idrssd,
    parse_job_id,
    parse_job_type,
    parse_limit,
    parse_overview_filters,
)
from chalicelib.banks.search import SEARCH_PARAMETERS, parse_search
from chalicelib.batches.request import parse_batch_id, parse_batch_request, parse_no_fields
from chalicelib.batches.settings import BATCH_SIZE, batch_concurrency
from chalicelib.batches.worker import Record as BatchRecord
from chalicelib.bootstrap import Services, services
from chalicelib.experts import panel_to_api
from chalicelib.jobs.model import Caller, JobType
from chalicelib.jobs.service import JobService, record_failed_delivery
from chalicelib.kinds import KINDS
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


def _request() -> Request:
    request = app.current_request
    assert request is not None, "only called while handling a request"
    return request


def _query(name: str) -> str | None:
    params = _request().query_params
    return None if params is None else params.get(name)


def _raw_body() -> bytes:
    raw = _request().raw_body
    return raw.encode("utf-8") if isinstance(raw, str) else raw


def _caller(wired: Services) -> Caller:
    return wired.caller(_request().context)


def _start(idrssd: str, job_type: JobType, jobs: JobService, caller: Caller) -> Response:
    idrssd = parse_idrssd(idrssd)
    body = read_json_object(_raw_body(), _request().headers.get("content-type"))
    params = KINDS[job_type].parse_params(body)
    outcome = jobs.start(idrssd, job_type, params, caller)
    return start_response(outcome.job, outcome.created)


@app.route("/api/research/{idrssd}/generate-background", methods=["POST"], **AUTH)
def start_report(idrssd: str) -> Response:
    wired = services()
    return _start(idrssd, JobType.REPORT, wired.jobs, _caller(wired))


@app.route(
    "/api/research/{idrssd}/podcast/generate-background",
    methods=["POST"],
    **AUTH,
)
def start_podcast(idrssd: str) -> Response:
    wired = services()
    return _start(idrssd, JobType.PODCAST, wired.jobs, _caller(wired))


@app.route("/api/research/{idrssd}/job-status", methods=["GET"], **AUTH)
def job_status(idrssd: str) -> Response:
    bank, job_type = parse_idrssd(idrssd), parse_job_type(_query("type"))
    job = services().jobs.current(bank, job_type)
    return job_status_response(job, _request().headers.get("if-none-match"))


@app.route("/api/research/{idrssd}/job", methods=["DELETE"], **AUTH)
def cancel_job(idrssd: str) -> Response:
    bank, job_type = parse_idrssd(idrssd), parse_job_type(_query("type"))
    wired = services()
    job = wired.jobs.cancel(bank, job_type, _caller(wired))
    return json_response({"hasJob": True, "job": job.to_api()})


@app.route("/api/research/{idrssd}/report", methods=["GET"], **AUTH)
def latest_report(idrssd: str) -> Response:
    return json_response(services().reports.latest(parse_idrssd(idrssd)))


@app.route("/api/research/{idrssd}/reports", methods=["GET"], **AUTH)
def report_library(idrssd: str) -> Response:
    return listing_response("reports", services().reports.history(parse_idrssd(idrssd)))


@app.route("/api/research/{idrssd}/reports/{jobId}", methods=["GET"], **AUTH)
def past_report(idrssd: str, jobId: str) -> Response:
    bank, job_id = parse_idrssd(idrssd), parse_job_id(jobId)
    return json_response(services().reports.version(bank, job_id))


@app.route("/api/research/{idrssd}/podcasts", methods=["GET"], **AUTH)
def podcast_library(idrssd: str) -> Response:
    podcasts = services().podcasts.history(parse_idrssd(idrssd))
    return listing_response("podcasts", podcasts)


@app.route("/api/research/{idrssd}/podcasts/{jobId}", methods=["GET"], **AUTH)
def past_podcast(idrssd: str, jobId: str) -> Response:
    bank, job_id = parse_idrssd(idrssd), parse_job_id(jobId)
    return json_response(services().podcasts.version(bank, job_id))


@app.route("/api/research/recent", methods=["GET"], **AUTH)
def recent_jobs() -> Response:
    limit, cursor = parse_limit(_query("limit")), parse_cursor(_query("cursor"))
    wired = services()
    filters, caller = parse_overview_filters(_request().query_params), _caller(wired)
    page = wired.jobs.recent(limit, cursor, filters, caller)
    return recent_response(page.jobs, page.following, page.counts, caller)


@app.route("/api/research/{idrssd}/podcast", methods=["GET"], **AUTH)
def latest_podcast(idrssd: str) -> Response:
    return json_response(services().podcasts.latest(parse_idrssd(idrssd)))


@app.route("/api/research/{idrssd}/podcast/audio", methods=["GET"], **AUTH)
def podcast_audio(idrssd: str) -> Response:
    return redirect_response(services().podcasts.presigned_audio_url(parse_idrssd(idrssd)))


@app.route("/api/banks", methods=["GET"], **AUTH)
def search_banks() -> Response:
    search = parse_search({name: _query(name) for name in SEARCH_PARAMETERS})
    return json_response(services().catalog.search(search))


@app.route("/api/banks/{idrssd}", methods=["GET"], **AUTH)
def bank_profile(idrssd: str) -> Response:
    wired = services()
    return json_response(bank_overview(wired.catalog, wired.publications, parse_idrssd(idrssd)))


@app.route("/api/podcast/experts", methods=["GET"])  # public (chalicelib/api/auth.py)
def podcast_experts() -> Response:
    return json_response(panel_to_api())


@app.route("/api/auth/config", methods=["GET"])  # public: a sign-in form needs it first
def sign_in_config() -> Response:
    return json_response(auth_config(), headers={"Cache-Control": "no-cache"})


@app.route("/api/openapi.json", methods=["GET"])
def openapi() -> Response:
    return json_response(openapi_document())


# Public, as the page and this document are: a load balancer or a script asks it first.
@app.route("/api/health", methods=["GET"])
def health() -> Response:
    return health_response(services().health())


# Batches: one kind of work for many banks (chalicelib/batches, docs/BATCHES.md).


@app.route("/api/batches", methods=["POST"], **AUTH)
def start_batch() -> Response:
    body = read_json_object(_raw_body(), _request().headers.get("content-type"))
    wired = services()
    batch = wired.batches.start(parse_batch_request(body), _caller(wired))
    return json_response({"batch": batch.to_api()}, status=202)


@app.route("/api/batches", methods=["GET"], **AUTH)
def list_batches() -> Response:
    limit, after = parse_limit(_query("limit")), _query("cursor")
    batches, following = services().batches.newest(
        limit, None if after is None else parse_batch_id(after)
    )
    return json_response({"batches": [b.to_api() for b in batches], "nextCursor": following})


@app.route("/api/batches/{batchId}", methods=["GET"], **AUTH)
def batch_status(batchId: str) -> Response:
    batch = services().batches.get(parse_batch_id(batchId))
    return json_response({"batch": batch.to_api()})


@app.route("/api/batches/{batchId}/failures", methods=["GET"], **AUTH)
def batch_failures(batchId: str) -> Response:
    failed = services().batches.failures(parse_batch_id(batchId))
    return json_response({"failures": [item.failure_to_api() for item in failed]})


@app.route("/api/batches/{batchId}", methods=["DELETE"], **AUTH)
def cancel_batch(batchId: str) -> Response:
    wired = services()
    batch = wired.batches.cancel(parse_batch_id(batchId), _caller(wired))
    return json_response({"batch": batch.to_api()})


@app.route("/api/batches/{batchId}/retry", methods=["POST"], **AUTH)
def retry_batch(batchId: str) -> Response:
    batch_id = parse_batch_id(batchId)
    parse_no_fields(read_json_object(_raw_body(), _request().headers.get("content-type")))
    wired = services()
    batch = wired.batches.retry(batch_id, _caller(wired))
    return json_response({"batch": batch.to_api()}, status=202)


def _run_worker(event: Any, context: Any) -> dict[str, str]:
    # Raises Redeliver when Lambda should deliver the event again (docs/ARCHITECTURE.md).
    outcome = services().work(event, context)
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
    store = services().worker_store  # a background function: the patient clients
    for record in event:
        record_failed_delivery(store, _json_or_none(record.body))


@app.on_sqs_message(
    queue=BATCH_QUEUE, batch_size=BATCH_SIZE, name="batch_items",
    maximum_concurrency=BATCH_CONCURRENCY,
)  # fmt: skip
def batch_items(event: SQSEvent) -> dict[str, Any]:
    """Each bank of a batch: its job, run here; what may pass is handed back to the queue."""
    records = [BatchRecord.of(record) for record in event]
    again = services().work_batch(records, event.context)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in again]}


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


# Last, after every route: any content type, CORS only as configured, one error shape.
finish_routes(app)
