"""A four-expert podcast job end to end with eSpeak NG, in process on moto.

Prints the job's wall time, seconds of audio per second of work, MP3 bytes per minute of
audio, and where the time goes (script, speech, encoding). The report it is built from is
made first and not timed.
Run: ``.venv/bin/python -m bench.podcast_bench [--jobs N] [--experts a,b,c,d]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from devstack.emulator import make_dynamodb_writes_atomic
from devstack.resources import ResourceNames, create_all

NAMES = ResourceNames("bench-jobs", "bench-banks", "bench-artifacts")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "ffiec"
BANK = "9900001"


class Timed:
    """Wraps a callable object's method and adds up the seconds spent in it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--experts", default="credit,capital,profitability,markets")
    args = parser.parse_args()
    experts = args.experts.split(",")
    _isolate()

    from chalicelib.bootstrap import bootstrap
    from chalicelib.config import Settings
    from chalicelib.jobs.model import JobType, WorkerEvent
    from chalicelib.podcasts import audio
    from chalicelib.runtime import Runtime
    from ingest.importer import BankImporter

    class Deferred:
        event: WorkerEvent | None = None

        def invoke(self, event: WorkerEvent) -> None:
            self.event = event

    speech, encoding, script = Timed(), Timed(), Timed()

    with mock_aws():
        session = boto3.session.Session()
        create_all(session.client("dynamodb"), session.client("s3"), NAMES)
        BankImporter(session.resource("dynamodb").Table(NAMES.banks_table)).import_path(SAMPLE)
        deferred = Deferred()
        env = {**NAMES.as_env(), "JOB_INVOKER": "thread", "VOICE_ENGINE": "espeak",
               "STARTS_PER_MINUTE": "0"}  # fmt: skip
        runtime = Runtime(Settings.from_env(env), invoker=lambda _: deferred)

        def run(job_type: JobType, params: dict[str, Any]) -> None:
            outcome = runtime.jobs.start(BANK, job_type, params)
            assert outcome.created and deferred.event is not None
            result = bootstrap(runtime).work(deferred.event.to_payload(), None)
            assert result.result == "completed", result

        run(JobType.REPORT, {})
        engine = runtime.voice_engine()
        engine.synthesize = speech.wrap(engine.synthesize)  # type: ignore[method-assign]
        writer = runtime.script_writer
        writer.write = script.wrap(writer.write)  # type: ignore[method-assign]
        podcast_pipeline = runtime.runner._pipelines[JobType.PODCAST]
        podcast_pipeline._encode = encoding.wrap(audio.encode_mp3)  # type: ignore[attr-defined]

        walls: list[float] = []
        for _ in range(args.jobs):
            started = time.perf_counter()
            run(JobType.PODCAST, {"experts": experts})
            walls.append(time.perf_counter() - started)
        podcast = runtime.podcasts.latest(BANK)

    _print_figures(podcast, walls, experts, engine.name, script, speech, encoding)


def _isolate() -> None:
    """moto only, never a real account or the local stack; the job's logs kept quiet."""
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "b", "AWS_SECRET_ACCESS_KEY": "b", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    make_dynamodb_writes_atomic()
    from chalicelib.logs import get_logger

    get_logger().setLevel(logging.WARNING)


def _print_figures(
    podcast: dict[str, Any],
    walls: list[float],
    experts: list[str],
    engine: str,
    script: Timed,
    speech: Timed,
    encoding: Timed,
) -> None:
    seconds = float(podcast["durationSeconds"])
    wall = statistics.median(walls)
    jobs = len(walls)
    print(f"podcast job, {len(experts)} experts ({', '.join(experts)}), engine {engine}:")
    print(f"  script         {len(podcast['script'])} lines, {podcast['words']} words")
    print(f"  audio          {seconds:.1f} s ({seconds / 60:.1f} min)")
    print(f"  wall time      p50 {wall:.2f} s  (min {min(walls):.2f} s over {jobs} jobs)")
    print(f"  speed          {seconds / wall:.0f} s of audio per second of work")
    print(f"  MP3            {podcast['audioBytes'] / (seconds / 60) / 1024:.0f} KiB per minute")
    print(
        f"  time per job   script {script.seconds / jobs * 1000:.0f} ms, speech "
        f"{speech.seconds / jobs:.2f} s, encoding {encoding.seconds / jobs:.2f} s, rest "
        f"{wall - (script.seconds + speech.seconds + encoding.seconds) / jobs:.2f} s"
    )


if __name__ == "__main__":
    main()
