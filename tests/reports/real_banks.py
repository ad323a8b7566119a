"""Real banks imported from cuts of the shipped FFIEC files, with their reports and podcasts
made by the jobs as a user starts them (template writers, a tone for a voice)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.emulator import make_dynamodb_writes_atomic
from devstack.resources import create_all
from ingest.importer import BankImporter
from tests.api_support import Api, api_under_test
from tests.conftest import NAMES, REGION
from tests.moto_account import Aws
from tests.podcasts.support import ToneEngine, podcast_pipelines, run_job
from tests.real_files import cut

# Real extremes, by RSSD ID (what the shipped files show of each).
JPMORGAN = "852218"  # FFIEC 031, $3.51 trillion at 2024-06-30
SILICON_VALLEY = "802866"  # last report 2022-12-31; securities 56% of assets
FLAGSTAR = "694904"  # a loss in 2024-Q2 ($300 million)
SUMITOMO_TRUST = "925411"  # no loans, $2.97 billion of deposits
BLACKROCK_TRUST = "1444021"  # a trust bank: no loans, no deposits
XENIA_FLORA = "242"  # FFIEC 051 under the community bank leverage ratio framework
USAA = "619877"  # a name said letter by letter
EXPERTS = ["credit", "capital", "profitability", "economy"]


@dataclass
class Made:
    """What the jobs made for one bank: the report and podcast documents, and what the
    voice engine was asked to say."""

    report: dict[str, Any]
    podcast: dict[str, Any]
    spoken: list[str] = field(default_factory=list)

    def section(self, section_id: str) -> str:
        return next(s["markdown"] for s in self.report["sections"] if s["id"] == section_id)

    @property
    def text(self) -> str:
        """The whole report's markdown, markdown escapes removed."""
        markdown = "\n\n".join(s["markdown"] for s in self.report["sections"])
        return markdown.replace("\\", "")

    @property
    def script(self) -> str:
        return "\n".join(line["text"] for line in self.podcast["script"])


@contextmanager
def moto_account() -> Iterator[Aws]:
    """A moto account like the ``aws`` fixture's, for a whole test module."""
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION, **NAMES.as_env(),
        }.items():  # fmt: skip
            patch.setenv(variable, value)
        for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            patch.delenv(variable, raising=False)
        make_dynamodb_writes_atomic()
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            s3 = boto3.client("s3", region_name=REGION)
            create_all(dynamodb, s3, NAMES)
            resource = boto3.resource("dynamodb", region_name=REGION)
            yield Aws(
                dynamodb, s3, resource.Table(NAMES.jobs_table),
                resource.Table(NAMES.banks_table), NAMES.artifacts_bucket, NAMES,
            )  # fmt: skip


def import_real(aws: Aws, ids: Iterable[str], quarters: Iterable[str] | None = None) -> None:
    """Import the cut of ``ids`` (all shipped quarters unless told) with the importer."""
    with tempfile.TemporaryDirectory(prefix="real-cut-") as folder:
        cut(Path(folder), ids, quarters)
        BankImporter(aws.banks_table).import_path(folder)


def make_all(aws: Aws, ids: Iterable[str], experts: list[str] | None = None) -> dict[str, Made]:
    """Run a report job then a podcast job for each bank; what each made."""
    engine = ToneEngine()
    made: dict[str, Made] = {}
    with api_under_test(aws, pipelines=podcast_pipelines(lambda: engine)) as api:
        for idrssd in ids:
            made[idrssd] = _make(api, engine, idrssd, experts or EXPERTS)
    return made


def _make(api: Api, engine: ToneEngine, idrssd: str, experts: list[str]) -> Made:
    report_job = run_job(api, idrssd, "report")
    assert report_job["status"] == "completed", (idrssd, report_job)
    first = len(engine.calls)
    podcast_job = run_job(api, idrssd, "podcast", {"experts": experts})
    assert podcast_job["status"] == "completed", (idrssd, podcast_job)
    report = json.loads(api.get(f"/api/research/{idrssd}/report").body)
    podcast = json.loads(api.get(f"/api/research/{idrssd}/podcast").body)
    return Made(report, podcast, [text for text, _voice in engine.calls[first:]])
