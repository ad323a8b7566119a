"""What can go wrong, each with a sentence for a person and an exit code for a script."""

from __future__ import annotations

from typing import Any

# Exit codes, as the README's "Command-line client" section lists them.
EXIT_OK = 0
EXIT_FAILED = 1  # the API refused the request, or the job failed
EXIT_CONNECTION = 2  # no API to talk to: bad or wrong address, unreachable, credentials refused
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_CANCELLED = 3  # the job was cancelled
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT): the job, if any, keeps running


class CliError(Exception):
    """A failure reported as one sentence on stderr and an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, sentence: str, code: str, status: int | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.code = code
        self.status = status

    def to_json(self) -> dict[str, Any]:
        return {"error": self.sentence, "code": self.code, "status": self.status}


class ApiError(CliError):
    """The API answered with its own ``{"error", "code"}`` sentence, and perhaps a
    ``detail`` for API clients (a route to call), which only ``--json`` passes on."""

    def __init__(
        self, sentence: str, code: str, status: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(sentence, code, status)
        self.detail = detail

    def to_json(self) -> dict[str, Any]:
        document = super().to_json()
        if self.detail:
            document["detail"] = self.detail
        return document


class ConnectionProblem(CliError):
    """There is no usable API at the address: the command cannot do anything."""

    exit_code = EXIT_CONNECTION


class UsageError(CliError):
    """Options that do not go together."""

    exit_code = EXIT_USAGE


class Transient(ApiError):
    """Busy, throttled or a gateway fault: the same request may succeed after a pause."""

    def __init__(
        self, sentence: str, code: str, status: int | None, retry_after: float | None
    ) -> None:
        super().__init__(sentence, code, status)
        self.retry_after = retry_after
