"""Settings from the environment, checked once, with sentences for bad values."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.errors import ConfigError, excerpt
from chalicelib.job_types import JobType, worker_function_setting
from chalicelib.jobs.rules import Timing
from chalicelib.numbers import whole_number

INVOKERS = ("lambda", "thread")
WRITERS = ("template", "bedrock")
VOICE_ENGINES = ("polly", "espeak")
MAX_SETTING_DIGITS = 9  # whole-number settings: seconds, counts, sizes
_SECONDS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?")
# The user pool group whose members may cancel anyone's job (ADMIN_GROUP changes it).
ADMIN_GROUP = "admins"


@dataclass(frozen=True)
class Settings:
    jobs_table: str
    banks_table: str
    artifacts_bucket: str
    invoker: str = "lambda"
    # The workers' Lambda names by job type, from REPORT_WORKER_FUNCTION and the like.
    worker_function_names: Mapping[str, str] = field(default_factory=dict)
    thread_workers: int = 4
    worker_timeout_seconds: int = 900
    job_lease_seconds: int = 90
    job_heartbeat_seconds: int = 30
    job_max_event_age_seconds: int = 2400
    job_retry_grace_seconds: int = 150
    starts_per_minute: int = 10  # 0: no limit (the local stack, where everyone is "local")
    admin_api_key_ids: frozenset[str] = frozenset()
    admin_group: str = ADMIN_GROUP
    report_writer: str = "template"
    bedrock_model_id: str = ""
    # The account's tokens-per-minute quota for the model (Service Quotas), shared by every
    # worker through one bucket; 0: no bucket, Bedrock's throttling alone.
    model_tokens_per_minute: int = 200_000
    batch_queue: str = ""  # the SQS queue of batch items (BatchItems in infra/resources.json)
    report_pace_seconds: float = 0.0
    podcast_writer: str = "template"
    voice_engine: str = "polly"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            jobs_table=_required(env, "JOBS_TABLE"),
            banks_table=_required(env, "BANKS_TABLE"),
            artifacts_bucket=_required(env, "ARTIFACTS_BUCKET"),
            invoker=env.get("JOB_INVOKER", "lambda"),
            worker_function_names={
                str(job_type): env.get(worker_function_setting(job_type), "")
                for job_type in JobType
            },
            thread_workers=_positive_int(env, "THREAD_WORKERS", 4),
            worker_timeout_seconds=_positive_int(env, "WORKER_TIMEOUT_SECONDS", 900),
            job_lease_seconds=_positive_int(env, "JOB_LEASE_SECONDS", 90),
            job_heartbeat_seconds=_positive_int(env, "JOB_HEARTBEAT_SECONDS", 30),
            job_max_event_age_seconds=_positive_int(env, "JOB_MAX_EVENT_AGE_SECONDS", 2400),
            job_retry_grace_seconds=_positive_int(env, "JOB_RETRY_GRACE_SECONDS", 150),
            starts_per_minute=_whole_number(env, "STARTS_PER_MINUTE", 10),
            admin_api_key_ids=frozenset(
                part.strip() for part in env.get("ADMIN_API_KEY_IDS", "").split(",") if part.strip()
            ),
            admin_group=env.get("ADMIN_GROUP", "").strip() or ADMIN_GROUP,
            report_writer=env.get("REPORT_WRITER", "template"),
            bedrock_model_id=env.get("BEDROCK_MODEL_ID", ""),
            model_tokens_per_minute=_whole_number(env, "MODEL_TOKENS_PER_MINUTE", 200_000),
            batch_queue=env.get("BATCH_QUEUE", ""),
            report_pace_seconds=_seconds(env, "REPORT_PACE_SECONDS"),
            # The podcast's script follows the report's writer unless told otherwise.
            podcast_writer=env.get("PODCAST_WRITER") or env.get("REPORT_WRITER", "template"),
            voice_engine=env.get("VOICE_ENGINE", "polly"),
        )
        if settings.invoker not in INVOKERS:
            raise ConfigError(f"JOB_INVOKER must be one of {', '.join(INVOKERS)}.")
        if settings.report_writer not in WRITERS:
            raise ConfigError(f"REPORT_WRITER must be one of {', '.join(WRITERS)}.")
        if settings.podcast_writer not in WRITERS:
            raise ConfigError(f"PODCAST_WRITER must be one of {', '.join(WRITERS)}.")
        if settings.voice_engine not in VOICE_ENGINES:
            raise ConfigError(f"VOICE_ENGINE must be one of {', '.join(VOICE_ENGINES)}.")
        if settings.job_heartbeat_seconds >= settings.job_lease_seconds:
            raise ConfigError(
                "JOB_HEARTBEAT_SECONDS must be shorter than JOB_LEASE_SECONDS, or a live run's "
                "lease would lapse between its heartbeats."
            )
        for name, writer in (
            ("REPORT_WRITER", settings.report_writer),
            ("PODCAST_WRITER", settings.podcast_writer),
        ):
            if writer == "bedrock" and not settings.bedrock_model_id:
                raise ConfigError(
                    f"With {name}=bedrock, set BEDROCK_MODEL_ID to the Bedrock model to use."
                )
        return settings

    def timing(self) -> Timing:
        """The job rules' timing from these settings."""
        return Timing(
            lease_seconds=self.job_lease_seconds,
            heartbeat_seconds=self.job_heartbeat_seconds,
            max_event_age_seconds=self.job_max_event_age_seconds,
            retry_grace_seconds=self.job_retry_grace_seconds,
        )

    def worker_functions(self) -> dict[str, str]:
        """The workers' Lambda names, by job type; only the API needs them (to invoke)."""
        given = self.worker_function_names
        names = {str(job_type): given.get(job_type, "") for job_type in JobType}
        if not all(names.values()):
            settings = " and ".join(worker_function_setting(job_type) for job_type in JobType)
            raise ConfigError(
                f"With JOB_INVOKER=lambda, set {settings} to the workers' function names."
            )
        return names


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"Set the {name} environment variable.")
    return value


def _seconds(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return 0.0
    # ASCII digits with an optional fraction: float() would also take '٣', '1e2' or 'nan'.
    value = float(raw) if _SECONDS.fullmatch(raw) else -1.0
    if not 0 <= value <= 600:
        raise ConfigError(f"{name} must be a number of seconds from 0 to 600, not '{raw}'.")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw, MAX_SETTING_DIGITS)
    if value is None or value <= 0:
        raise ConfigError(f"{name} must be a positive whole number, not '{excerpt(raw)}'.")
    return value


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw, MAX_SETTING_DIGITS)
    if value is None:
        raise ConfigError(f"{name} must be a whole number (0 or more), not '{excerpt(raw)}'.")
    return value
