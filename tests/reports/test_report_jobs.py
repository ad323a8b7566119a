"""Report jobs end to end through ``chalice.test.Client`` and moto (issue: report jobs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.api.openapi import openapi_document
from chalicelib.bedrock import Converse
from chalicelib.bootstrap import bootstrap
from chalicelib.jobs.model import Job, JobType
from chalicelib.jobs.pipelines import PipelineRegistry
from chalicelib.reports.bedrock_writer import BedrockWriter
from chalicelib.reports.errors import WriterError
from chalicelib.reports.pipeline import ReportPipeline
from chalicelib.reports.sections import SECTIONS, ReportWriter, Section
from chalicelib.reports.template_writer import TemplateWriter
from chalicelib.runtime import Runtime, shipped_pipelines
from tests.api_support import Api, api_under_test
from tests.fakes import converse_answer, counting_client_calls, stubbed_bedrock
from tests.moto_account import Aws
from tests.reports.conftest import STRESSED, STRONG

PipelinesFactory = Callable[[Runtime], PipelineRegistry]
WRITES = {"PutItem", "UpdateItem", "TransactWriteItems", "DeleteItem", "BatchWriteItem"}


def with_writer(make_writer: Callable[[Runtime], ReportWriter]) -> PipelinesFactory:
    def build(runtime: Runtime) -> PipelineRegistry:
        return {
            JobType.REPORT: ReportPipeline(
                runtime.banks, make_writer(runtime), runtime.reports, runtime.clock
            )
        }

    return build


@pytest.fixture
def api(sample: Aws) -> Iterator[Api]:
    with api_under_test(sample, pipelines=shipped_pipelines) as under_test:
        yield under_test


def run_report(api: Api, idrssd: str) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Start a report over HTTP, run the delivered event, return the final job and the
    progress the worker wrote."""
    started = api.post(f"/api/research/{idrssd}/generate-background")
    assert started.status_code == 202, started.body
    written: list[tuple[int, str]] = []
    store = api.runtime.worker.store  # the one the worker writes through
    original = store.report_progress

    def spy(job: Job, progress: int, stage: str, message: str) -> None:
        original(job, progress, stage, message)
        written.append((progress, stage))

    store.report_progress = spy  # type: ignore[method-assign]
    event = api.invoker.events[-1]
    bootstrap(api.runtime).work(event.to_payload(), None)
    store.report_progress = original  # type: ignore[method-assign]
    status = json.loads(api.get(f"/api/research/{idrssd}/job-status?type=report").body)
    return status["job"], written


def test_a_report_job_runs_through_every_stage(api: Api) -> None:
    job, written = run_report(api, STRONG)
    assert job["status"] == "completed" and job["progress"] == 100
    assert job["result"]["url"] == f"/api/research/{STRONG}/report"
    stages = [stage for _, stage in written]
    assert stages == ["load", "metrics", "peers", *[s.id for s in SECTIONS], "save"]
    values = [progress for progress, _ in written]
    assert values == sorted(values) and len(set(values)) == len(values) and values[-1] == 95

    response = api.get(job["result"]["url"])
    assert response.status_code == 200
    report = json.loads(response.body)
    assert set(report) == set(openapi_document()["components"]["schemas"]["Report"]["properties"])
    assert [s["id"] for s in report["sections"]] == [s.id for s in SECTIONS]
    assert all(s["markdown"].strip() and s["html"].strip() for s in report["sections"])
    assert report["jobId"] == job["jobId"] and report["writer"] == "template"
    assert report["synthetic"] is True and report["asOf"] == "20241231"
    profile = json.loads(api.get(f"/api/banks/{STRONG}").body)
    assert report["keyFigures"]["totalAssets"] == profile["figures"]["totalAssets"]
    assert report["keyMetrics"]["roa"] == profile["metrics"]["roa"]
    assert len(report["series"]) == 8
    assert {"totalAssets", "roa", "nim", "cet1Ratio"} <= set(report["series"][0])


def test_no_report_yet_is_404(api: Api) -> None:
    response = api.get(f"/api/research/{STRONG}/report")
    assert response.status_code == 404
    assert json.loads(response.body)["code"] == "no_report"
    bad = api.get("/api/research/abc/report")
    assert bad.status_code == 400 and json.loads(bad.body)["code"] == "invalid_idrssd"


def test_a_reference_only_bank_is_refused_at_start(api: Api) -> None:
    response = api.post("/api/research/852218/generate-background")
    assert response.status_code == 409 and json.loads(response.body)["code"] == "no_data"


def test_a_strong_and_a_stressed_bank_read_differently(api: Api) -> None:
    for bank in (STRONG, STRESSED):
        job, _ = run_report(api, bank)
        assert job["status"] == "completed"
    good = json.loads(api.get(f"/api/research/{STRONG}/report").body)["sections"][0]["markdown"]
    bad = json.loads(api.get(f"/api/research/{STRESSED}/report").body)["sections"][0]["markdown"]
    assert "losing money" in bad and "losing money" not in good


class FailingWriter:
    """Writes until a given section, then fails as a model can."""

    name = "template"
    model = None

    def __init__(self, fail_at: str) -> None:
        self._inner = TemplateWriter()
        self._fail_at = fail_at

    def write(self, section: Section, facts: Any) -> str:
        if section.id == self._fail_at:
            raise WriterError("The AI model failed while writing the asset quality section.")
        return self._inner.write(section, facts)


def test_a_writer_failure_keeps_the_previous_report(sample: Aws) -> None:
    with api_under_test(sample, pipelines=shipped_pipelines) as api:
        first, _ = run_report(api, STRONG)
        assert first["status"] == "completed"
    with api_under_test(
        sample, pipelines=with_writer(lambda _: FailingWriter("asset_quality"))
    ) as api:
        job, _ = run_report(api, STRONG)
        assert job["status"] == "failed"
        assert job["error"] == "The AI model failed while writing the asset quality section."
        kept = json.loads(api.get(f"/api/research/{STRONG}/report").body)
        assert kept["jobId"] == first["jobId"]


def test_an_s3_failure_fails_the_job_and_keeps_the_previous_report(
    sample: Aws,
) -> None:
    with api_under_test(sample, pipelines=shipped_pipelines) as api:
        first, _ = run_report(api, STRONG)

        class BrokenS3:
            def put_object(self, **_: Any) -> None:
                raise RuntimeError("S3 is unreachable")

        working = api.runtime.worker.artifacts._s3
        api.runtime.worker.artifacts._s3 = BrokenS3()  # the worker's view of S3 breaks
        job, _ = run_report(api, STRONG)
        api.runtime.worker.artifacts._s3 = working
        assert job["status"] == "failed" and job["errorCode"] == "internal_error"
        assert "try again" in job["error"] and "S3" not in job["error"]
        assert api.runtime.reports.latest(STRONG)["jobId"] == first["jobId"]


def with_bedrock(client: Any) -> PipelinesFactory:
    """Report pipelines whose writer asks the stubbed Bedrock client, without waiting."""
    return with_writer(
        lambda _: BedrockWriter(Converse(lambda: client, "model-x", sleep=lambda _: None))
    )


def test_model_output_with_script_is_sanitized(sample: Aws) -> None:
    hostile = "Solid quarter. <script>alert('x')</script> **Capital** is ample; ROA 0.95%."
    with (
        stubbed_bedrock() as (client, stubber),
        api_under_test(sample, pipelines=with_bedrock(client)) as api,
    ):
        for _ in SECTIONS:
            stubber.add_response("converse", converse_answer(hostile))
        job, _ = run_report(api, STRONG)
        assert job["status"] == "completed"
        report = json.loads(api.get(f"/api/research/{STRONG}/report").body)
        assert report["writer"] == "bedrock" and report["model"] == "model-x"
        for section in report["sections"]:
            assert (
                "<script" not in section["html"] and "<strong>Capital</strong>" in section["html"]
            )
        stubber.assert_no_pending_responses()


def test_cancelling_mid_report_stops_and_keeps_the_previous_report(
    sample: Aws,
) -> None:
    with api_under_test(sample, pipelines=shipped_pipelines) as api:
        first, _ = run_report(api, STRONG)

    class CancellingWriter(TemplateWriter):
        def __init__(self, api_ref: list[Api]) -> None:
            self.api_ref = api_ref

        def write(self, section: Section, facts: Any) -> str:
            if section.id == "profitability":
                self.api_ref[0].delete(f"/api/research/{STRONG}/job?type=report")
            return super().write(section, facts)

    holder: list[Api] = []
    with api_under_test(sample, pipelines=with_writer(lambda _: CancellingWriter(holder))) as api:
        holder.append(api)
        job, written = run_report(api, STRONG)
        assert job["status"] == "failed" and job["errorCode"] == "cancelled"
        assert "save" not in [stage for _, stage in written]
        assert api.runtime.reports.latest(STRONG)["jobId"] == first["jobId"]


@pytest.mark.parametrize(
    ("text", "needle"), [("", "empty answer"), ("x" * 7_000, "too long to use")]
)
def test_an_unusable_model_answer_fails_the_job_with_a_sentence(
    sample: Aws, text: str, needle: str
) -> None:
    with (
        stubbed_bedrock() as (client, stubber),
        api_under_test(sample, pipelines=with_bedrock(client)) as api,
    ):
        stubber.add_response("converse", converse_answer(text))
        job, _ = run_report(api, STRONG)
        assert job["status"] == "failed"
        assert needle in job["error"] and job["error"].endswith(".")
        assert api.get(f"/api/research/{STRONG}/report").status_code == 404


def test_a_template_report_job_writes_at_most_15_times(api: Api) -> None:
    runtime = api.runtime
    with (
        counting_client_calls(runtime.jobs_table.meta.client) as started,  # the API's
        counting_client_calls(runtime.worker.jobs_table.meta.client) as ran,  # the worker's
    ):
        job, _ = run_report(api, STRONG)
    assert job["status"] == "completed"
    writes = [op for op in started.operations() + ran.operations() if op in WRITES]
    # the start, the claim, one per stage change (3 + 7 sections + save), the completion
    assert len(writes) <= 15, writes
    assert writes.count("TransactWriteItems") == 1 and writes[0] == "PutItem"
