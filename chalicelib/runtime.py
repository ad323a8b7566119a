"""The builder behind ``bootstrap``: each of the app's objects from the settings, built once
per process and shared (Lambda reuses a warm process), and the two sides' AWS clients.

A client, resource or table is made when a service first calls it (``OnFirstUse``), never
at import and never merely by being wired; boto3 sessions are not thread-safe to build
from, hence the locks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from chalicelib import telemetry
from chalicelib.artifacts import ArtifactBucket
from chalicelib.banks.catalog import BankCatalog
from chalicelib.banks.lookup import BankLookup
from chalicelib.banks.search import SearchIndex
from chalicelib.banks.table import BanksTable
from chalicelib.batches.queue import ItemQueue
from chalicelib.batches.store import BatchStore
from chalicelib.batches.worker import BatchWorker
from chalicelib.bedrock import Converse
from chalicelib.clock import Clock, SystemClock
from chalicelib.config import Settings
from chalicelib.jobs.invokers import Invoker, LambdaInvoker, ThreadInvoker
from chalicelib.jobs.limiter import StartLimiter
from chalicelib.jobs.model import JobType
from chalicelib.jobs.pipelines import PipelineRegistry
from chalicelib.jobs.service import JobService
from chalicelib.jobs.store import JobStore
from chalicelib.jobs.worker import Delivery, JobRunner
from chalicelib.kinds import KINDS
from chalicelib.podcasts.archive import PodcastArchive
from chalicelib.podcasts.bedrock_writer import BedrockScriptWriter
from chalicelib.podcasts.espeak import find_espeak
from chalicelib.podcasts.polly import PollyEngine
from chalicelib.podcasts.script import ScriptWriter
from chalicelib.podcasts.template_writer import TemplateScriptWriter
from chalicelib.podcasts.voices import VoiceEngine
from chalicelib.quota.bucket import Quota
from chalicelib.quota.table import ModelQuota
from chalicelib.reports.archive import ReportArchive
from chalicelib.reports.bedrock_writer import BedrockWriter
from chalicelib.reports.pacing import PacedWriter
from chalicelib.reports.sections import SECTIONS, ReportWriter
from chalicelib.reports.template_writer import TemplateWriter

# The API answers people who wait: a poll must answer within about 3 s, 200 or 503 busy,
# so its clients give up quickly (a second to connect, a second for an answer, one retry:
# at most about 3 s in all). A worker has minutes, and a transient failure costs it a
# retry of its own: its clients keep botocore's patience (docs/ARCHITECTURE.md, "Faults").
API_CONFIG = Config(
    connect_timeout=1, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}
)
WORKER_CONFIG = Config(
    connect_timeout=3, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 5}
)
# The Bedrock writer retries throttling itself (explicitly, with backoff): no second layer.
_BEDROCK_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=90)
# Polly too: the engine retries throttling itself.
_POLLY_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=60)
_OWN_CONFIGS = {"bedrock-runtime": _BEDROCK_CONFIG, "polly": _POLLY_CONFIG}
# Presigned audio links are SigV4 in every region.
_S3_SIGNATURE = Config(signature_version="s3v4")

T = TypeVar("T")


class OnFirstUse:
    """An AWS client, resource or table, made when first called rather than when wired:
    ``bootstrap`` wires every service at cold start, and a process makes only the clients
    it calls. Everything else is the made object's own (``meta``, ``put_item``…)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None
        self._lock = threading.Lock()

    def made(self) -> Any:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)


class Side:
    """The AWS-backed objects of one side of the service, built on first use: the API's
    (``Runtime.api``), which answers people, or the workers' (``Runtime.worker``). Only
    their clients' patience differs; a Lambda process builds the side it is."""

    def __init__(self, runtime: Runtime, name: str, config: Config) -> None:
        self._runtime = runtime
        self._name = name
        self.config = config

    def _once(self, name: str, build: Callable[[], T]) -> T:
        return self._runtime._once(f"{self._name}:{name}", build)

    def _on_first_use(self, name: str, make: Callable[[], Any]) -> Any:
        return self._once(name, lambda: OnFirstUse(make))

    def client(self, service: str) -> Any:
        config = _OWN_CONFIGS.get(service, self.config)
        if service == "s3":
            config = config.merge(_S3_SIGNATURE)
        runtime = self._runtime
        return self._on_first_use(
            f"client:{service}", lambda: runtime.session.client(service, config=config)
        )

    @property
    def dynamodb(self) -> Any:
        runtime = self._runtime
        return self._on_first_use(
            "dynamodb", lambda: runtime.session.resource("dynamodb", config=self.config)
        )

    @property
    def jobs_table(self) -> Any:
        name = self._runtime.settings.jobs_table
        return self._on_first_use("jobs_table", lambda: self.dynamodb.Table(name))

    @property
    def banks_table(self) -> Any:
        name = self._runtime.settings.banks_table
        return self._on_first_use("banks_table", lambda: self.dynamodb.Table(name))

    @property
    def store(self) -> JobStore:
        runtime = self._runtime
        timing = runtime.settings.timing()
        return self._once(
            "store",
            lambda: JobStore(self.jobs_table, runtime.clock, timing, events=telemetry.EVENTS),
        )

    @property
    def artifacts(self) -> ArtifactBucket:
        bucket = self._runtime.settings.artifacts_bucket
        return self._once("artifacts", lambda: ArtifactBucket(self.client("s3"), bucket))

    @property
    def reports(self) -> ReportArchive:
        return self._once("reports", lambda: ReportArchive(self.artifacts, self.store.publications))

    @property
    def podcasts(self) -> PodcastArchive:
        return self._once(
            "podcasts", lambda: PodcastArchive(self.artifacts, self.store.publications)
        )

    @property
    def banks(self) -> BanksTable:
        return self._once("banks", lambda: BanksTable(self.banks_table))

    @property
    def catalog(self) -> BankCatalog:
        return self._once("catalog", lambda: BankCatalog(self.banks, self.search))

    @property
    def search(self) -> SearchIndex:
        """The bank index of this process (search pages and batches' choice of banks)."""
        return self._once("search", lambda: SearchIndex(self.banks))


class Runtime:
    """The process's shared objects; tests build their own with a fake clock."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        pipelines: Callable[[Runtime], PipelineRegistry] | None = None,
        invoker: Callable[[Runtime], Invoker] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.sleep = sleep  # how the runner waits between retries (a fake clock's, in tests)
        self._pipelines_factory = pipelines or shipped_pipelines
        self._invoker_factory = invoker or _invoker_from_settings
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            built: T = self._built[name]
            return built

    # AWS -------------------------------------------------------------------------------

    @property
    def session(self) -> boto3.session.Session:
        return self._once("session", boto3.session.Session)

    @property
    def api(self) -> Side:
        """What the routes use: clients that give up within about a second."""
        return self._once("side:api", lambda: Side(self, "api", API_CONFIG))

    @property
    def worker(self) -> Side:
        """What the workers and the failure queue's consumer use: patient clients."""
        return self._once("side:worker", lambda: Side(self, "worker", WORKER_CONFIG))

    def client(self, service: str) -> Any:
        return self.api.client(service)

    # The API's side, by the names the routes (and the tests) use.

    @property
    def dynamodb(self) -> Any:
        return self.api.dynamodb

    @property
    def jobs_table(self) -> Any:
        return self.api.jobs_table

    @property
    def banks_table(self) -> Any:
        return self.api.banks_table

    # Domain ----------------------------------------------------------------------------

    @property
    def store(self) -> JobStore:
        return self.api.store

    @property
    def artifacts(self) -> ArtifactBucket:
        return self.api.artifacts

    @property
    def runner(self) -> JobRunner:
        return self._once(
            "runner",
            lambda: JobRunner(
                self.worker.store,
                self._pipelines_factory(self),
                self.clock,
                discard=self.worker.artifacts.delete,
                sleep=self.sleep,
                events=telemetry.EVENTS,
            ),
        )

    @property
    def invoker(self) -> Invoker:
        return self._once("invoker", lambda: self._invoker_factory(self))

    @property
    def reports(self) -> ReportArchive:
        return self.api.reports

    @property
    def report_writer(self) -> ReportWriter:
        return self._once("report_writer", self._build_report_writer)

    def _build_report_writer(self) -> ReportWriter:
        settings = self.settings
        writer: ReportWriter = (
            BedrockWriter(self.converse)
            if settings.report_writer == "bedrock"
            else TemplateWriter()
        )
        if settings.report_pace_seconds > 0:
            writer = PacedWriter(writer, settings.report_pace_seconds / len(SECTIONS))
        return writer

    @property
    def model_quota(self) -> ModelQuota | None:
        """The model's bucket, shared by every worker (None when no quota is set)."""
        tokens = self.settings.model_tokens_per_minute
        if not tokens:
            return None
        quota = Quota(self.settings.bedrock_model_id, tokens)
        return self._once(
            "model_quota", lambda: ModelQuota(self.worker.jobs_table, quota, self.clock)
        )

    @property
    def podcasts(self) -> PodcastArchive:
        return self.api.podcasts

    @property
    def converse(self) -> Converse:
        """Bedrock's Converse for both writers: the worker's client, the configured model,
        the model's quota shared by every worker."""
        model_id = self.settings.bedrock_model_id
        worker = self.worker
        return self._once(
            "converse",
            lambda: Converse(
                lambda: worker.client("bedrock-runtime"), model_id, quota=self.model_quota
            ),
        )

    @property
    def script_writer(self) -> ScriptWriter:
        return self._once("script_writer", self._build_script_writer)

    def _build_script_writer(self) -> ScriptWriter:
        if self.settings.podcast_writer == "bedrock":
            return BedrockScriptWriter(self.converse)
        return TemplateScriptWriter()

    def voice_engine(self) -> VoiceEngine:
        """The configured engine; eSpeak NG is looked for on each call until found, so that
        installing it needs no restart (a missing one fails the job with a sentence)."""
        if self.settings.voice_engine == "espeak":
            return self._once("espeak", find_espeak)
        return self._once("polly", lambda: PollyEngine(lambda: self.worker.client("polly")))

    @property
    def banks(self) -> BanksTable:
        return self.api.banks

    @property
    def catalog(self) -> BankCatalog:
        return self.api.catalog

    @property
    def jobs(self) -> JobService:
        return self._once(
            "jobs",
            lambda: JobService(
                self.store,
                BankLookup(self.banks),
                self.invoker,
                prerequisites={
                    kind.type: kind.prerequisite(self)
                    for kind in KINDS.values()
                    if kind.prerequisite is not None
                },
                limiter=self._limiter(),
                events=telemetry.EVENTS,
            ),
        )

    # Batches (``chalicelib/batches``) -------------------------------------------------

    @property
    def batch_store(self) -> BatchStore:
        # The patient clients: starting a batch of every bank writes thousands of items.
        return self._once("batch_store", lambda: BatchStore(self.worker.jobs_table, self.clock))

    @property
    def batch_queue(self) -> ItemQueue:
        side, name = self.worker, self.settings.batch_queue
        return self._once("batch_queue", lambda: ItemQueue(lambda: side.client("sqs"), name))

    @property
    def batch_worker(self) -> BatchWorker:
        worker = self.worker
        return self._once(
            "batch_worker",
            lambda: BatchWorker(
                self.batch_store, self.jobs, self.runner, worker.store.publications,
                lambda: self.report_writer.name, self.clock, self.sleep,
            ),
        )  # fmt: skip

    def _limiter(self) -> StartLimiter | None:
        """Fair limits on starts, unless turned off (0: the local stack)."""
        per_minute = self.settings.starts_per_minute
        return StartLimiter(self.jobs_table, self.clock, per_minute) if per_minute else None


def shipped_pipelines(runtime: Runtime) -> PipelineRegistry:
    """The pipelines this build ships, one per registered kind (``chalicelib/kinds/``). A
    type absent here fails its jobs with a sentence."""
    return {kind.type: kind.pipeline(runtime) for kind in KINDS.values()}


def _invoker_from_settings(runtime: Runtime) -> Invoker:
    settings = runtime.settings
    if settings.invoker == "thread":
        return ThreadInvoker(
            lambda payload: runtime.runner.handle(payload, _in_process(runtime)),
            max_workers=settings.thread_workers,
        )
    functions = settings.worker_functions()
    return LambdaInvoker(
        lambda: runtime.client("lambda"),
        {job_type: functions[str(job_type)] for job_type in JobType},
        stamp=telemetry.outgoing,
    )


def _in_process(runtime: Runtime) -> Delivery:
    """A delivery run in this process (no Lambda context): the worker's timeout to run in."""
    return Delivery.from_context(
        None, runtime.clock, runtime.settings.worker_timeout_seconds * 1000
    )


_current: Runtime | None = None
_current_lock = threading.Lock()


def current() -> Runtime:
    """The process's runtime, built from the environment on first use."""
    global _current
    with _current_lock:
        if _current is None:
            _current = Runtime(Settings.from_env())
        return _current


def install(runtime: Runtime | None) -> None:
    """Replace the process's runtime (tests); ``None`` rebuilds it from the environment."""
    global _current
    with _current_lock:
        _current = runtime
