"""What the local stack reads from the project's files, and its chalice-local wrapper."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.batches.worker import MAX_RECEIVES
from devstack import stage
from devstack.chalice_local import LISTEN_BACKLOG, NoDelayServer, minimum_compression_size
from devstack.lambda_local.functions import build_catalog, invoke_configs, load_json
from devstack.lambda_local.worker import ROOT
from devstack.resources import INFRA_TEMPLATE, ResourceNames, create_queues, load_template

DESCRIPTION: dict[str, Any] = {
    "appName": "bank-research",
    "functions": [
        {"name": "report_worker", "handler": "app.report_worker"},
        {"name": "podcast_worker", "handler": "app.podcast_worker"},
    ],
    "queues": [
        {
            "name": "worker_failures",
            "handler": "app.worker_failures",
            "queue": "bank-research-failed-worker-events",
            "queueArn": None,
            "batchSize": 1,
        }
    ],
}


def test_the_catalog_follows_the_chalice_config_and_the_infra_template() -> None:
    catalog = build_catalog(
        DESCRIPTION, stage.chalice_config(), load_template(), ResourceNames().queues()
    )
    report = catalog.find("bank-research-local-report_worker")
    assert report is not None and report.handler == "app.report_worker"
    assert (report.timeout_seconds, report.memory_mb) == (900, 1024)
    assert (report.max_retries, report.max_event_age_seconds) == (2, 2400)
    assert report.on_failure_queue == "bank-research-failed-worker-events"
    assert report.environment["JOB_INVOKER"] == "lambda"
    assert catalog.find(report.arn) is report and catalog.find(f"{report.arn}:$LATEST") is report
    assert catalog.find("bank-research-local-report_worker:live") is None
    consumer = catalog.functions["bank-research-local-worker_failures"]
    assert consumer.timeout_seconds == 60 and consumer.on_failure_queue is None
    (source,) = catalog.queue_sources
    assert (source.function, source.queue) == (consumer.name, "bank-research-failed-worker-events")


def test_a_queue_the_stack_does_not_create_is_not_polled_and_says_so() -> None:
    description = {**DESCRIPTION, "queues": [{**DESCRIPTION["queues"][0], "queue": "other"}]}
    catalog = build_catalog(description, stage.chalice_config(), load_template(), {})
    assert catalog.queue_sources == ()
    assert any("other" in note for note in catalog.skipped)


def test_every_event_invoke_config_of_the_template_is_read() -> None:
    configs = invoke_configs(load_json(INFRA_TEMPLATE))
    assert set(configs) == {"ReportWorker", "PodcastWorker"}
    assert {config.on_failure_logical_id for config in configs.values()} == {"FailedWorkerEvents"}


def test_the_worker_describes_the_apps_registrations() -> None:
    env = stage.with_stage(
        {key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        stage.stage_env(),
    )
    output = subprocess.run(
        [sys.executable, "-m", "devstack.lambda_local.worker", "--describe"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    described = json.loads(output.strip().splitlines()[-1])
    assert described["appName"] == "bank-research"
    names = {function["name"]: function["handler"] for function in described["functions"]}
    assert names == {"report_worker": "app.report_worker", "podcast_worker": "app.podcast_worker"}


def test_the_environment_overrides_stage_settings_but_not_the_stacks_names() -> None:
    stage_vars = {"REPORT_PACE_SECONDS": "10", "JOBS_TABLE": "bank-research-jobs"}
    environ = {"REPORT_PACE_SECONDS": "2", "JOBS_TABLE": "test-jobs", "OTHER": "x"}
    merged = stage.with_stage(environ, stage_vars)
    assert merged == {"REPORT_PACE_SECONDS": "2", "JOBS_TABLE": "bank-research-jobs", "OTHER": "x"}


def test_the_local_stage_invokes_workers_through_lambda() -> None:
    variables = stage.stage_env()
    assert variables["JOB_INVOKER"] == "lambda"
    assert variables["REPORT_WORKER_FUNCTION"] == "bank-research-local-report_worker"
    assert variables["PODCAST_WORKER_FUNCTION"] == "bank-research-local-podcast_worker"
    assert variables["FAILED_EVENTS_QUEUE"] == ResourceNames().failed_events_queue


def test_the_queues_are_created_from_the_template() -> None:
    names = ResourceNames()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        urls = create_queues(sqs, names)

        def attributes(name: str) -> dict[str, str]:
            url = urls[name]
            found: dict[str, str] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"
            ]
            return found

        failures, items = attributes(names.failed_events_queue), attributes(names.batch_queue)
        dead = attributes(names.batch_dead_letters)
    declared = load_template()["Resources"]
    kept = declared["FailedWorkerEvents"]["Properties"]["MessageRetentionPeriod"]
    assert failures["MessageRetentionPeriod"] == str(kept)
    assert sorted(urls) == sorted(names.queues().values())
    # The batch items' dead letters after the template's receives, the worker's last one.
    redrive = json.loads(items["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dead["QueueArn"]
    declared_redrive = declared["BatchItemQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == declared_redrive["maxReceiveCount"] == MAX_RECEIVES
    assert int(items["VisibilityTimeout"]) > stage.chalice_config()["lambda_functions"][
        "batch_items"]["lambda_timeout"]  # fmt: skip


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def no_delay_server() -> Iterator[HTTPServer]:
    server = NoDelayServer(("127.0.0.1", 0), _Hello)
    yield server
    server.server_close()


def test_the_wrapper_sets_tcp_nodelay_on_accepted_sockets(no_delay_server: HTTPServer) -> None:
    port = no_delay_server.server_address[1]
    with socket.create_connection(("127.0.0.1", port)):
        accepted, _ = no_delay_server.get_request()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    assert no_delay_server.request_queue_size == LISTEN_BACKLOG >= 100


def test_the_wrapper_takes_a_burst_of_connections_before_it_accepts_any(
    no_delay_server: HTTPServer,
) -> None:
    """100 clients connect while the server is not accepting yet: none is refused."""
    port = no_delay_server.server_address[1]
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(100)]
    thread = threading.Thread(target=no_delay_server.serve_forever, daemon=True)
    thread.start()
    try:
        for client in clients:
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
        answers = [client.recv(64) for client in clients]
        assert all(answer.startswith(b"HTTP/1.0 200") for answer in answers)
    finally:
        no_delay_server.shutdown()
        for client in clients:
            client.close()


def test_the_local_route_answers_json_when_no_local_lambda_runs() -> None:
    """Through the real wrapper on a free port, without the rest of the stack."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL_LAMBDA"}
    server = subprocess.Popen(
        [sys.executable, "-m", "devstack.chalice_local", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        answers = {}
        for path in ("/_local/lambda/invocations", "/_local/nothing"):
            answers[path] = _get_eventually(f"http://127.0.0.1:{port}{path}")
        assert answers["/_local/lambda/invocations"][0] == 404
        assert answers["/_local/lambda/invocations"][1]["code"] == "no_local_lambda"
        assert answers["/_local/nothing"] == (
            404,
            {"error": "The local stack has no such page.", "code": "not_found"},
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_local_server_compresses_as_the_deployed_api_does() -> None:
    """gzip for a client that accepts it, at the template's MinimumCompressionSize."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "devstack.chalice_local", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _get_eventually(f"http://127.0.0.1:{port}/_local/nothing")  # up

        def get(path: str, **headers: str) -> tuple[dict[str, str], bytes]:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return dict(answer.headers), answer.read()
            except urllib.error.HTTPError as refused:
                return dict(refused.headers), refused.read()

        plain_headers, plain = get("/api/openapi.json")
        zipped_headers, zipped = get("/api/openapi.json", **{"Accept-Encoding": "gzip, br"})
        assert "Content-Encoding" not in plain_headers
        assert zipped_headers["Content-Encoding"] == "gzip"
        assert zipped_headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(zipped) == plain and len(zipped) < len(plain) / 3
        assert int(zipped_headers["Content-Length"]) == len(zipped)
        small_headers, small = get("/_local/nothing", **{"Accept-Encoding": "gzip"})
        assert len(small) < minimum_compression_size() == 1024
        assert "Content-Encoding" not in small_headers and json.loads(small)["code"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get_eventually(url: str, timeout: float = 60) -> tuple[int, Any]:
    import time
    import urllib.error

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize(
    ("scale", "env", "expected"),
    [
        ("1", {}, {"JOB_MAX_EVENT_AGE_SECONDS": "2400"}),
        (
            "0.05",
            {},
            {
                "JOB_MAX_EVENT_AGE_SECONDS": "120",
                "JOB_LEASE_SECONDS": "5",
                "JOB_HEARTBEAT_SECONDS": "2",
                "JOB_RETRY_GRACE_SECONDS": "8",
            },
        ),
        (
            "0.001",
            {},
            {
                "JOB_MAX_EVENT_AGE_SECONDS": "3",
                "JOB_LEASE_SECONDS": "2",
                "JOB_HEARTBEAT_SECONDS": "1",
                "JOB_RETRY_GRACE_SECONDS": "1",
            },
        ),
        (
            "0.05",
            {"JOB_LEASE_SECONDS": "2"},
            {
                "JOB_MAX_EVENT_AGE_SECONDS": "120",
                "JOB_HEARTBEAT_SECONDS": "1",
                "JOB_RETRY_GRACE_SECONDS": "8",
            },
        ),
        (
            "0.05",
            {"JOB_MAX_EVENT_AGE_SECONDS": "60", "JOB_HEARTBEAT_SECONDS": "1"},
            {"JOB_LEASE_SECONDS": "5", "JOB_RETRY_GRACE_SECONDS": "8"},
        ),
    ],
)
def test_the_apps_job_timings_follow_the_time_scale_unless_set(
    scale: str, env: dict[str, str], expected: dict[str, str]
) -> None:
    from devstack.lambda_local.settings import LambdaSettings
    from devstack.run import derived_settings

    settings = LambdaSettings.from_env({"LOCAL_LAMBDA_TIME_SCALE": scale})
    assert derived_settings(settings, env) == expected
