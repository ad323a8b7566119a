"""The names of the kinds of job, and the names each kind's worker takes from its own.

The job core keys its items and events by these names and names no kind itself; what a
kind is (its parameters, pipeline, prerequisite) is declared in its module under
``chalicelib/kinds/`` and registered in ``chalicelib/kinds/__init__.py``. Adding a kind is
its name here, its module there and its registration; its worker (``app.py``) and its
deployed function follow the names below.
"""

from __future__ import annotations

from enum import StrEnum


class JobType(StrEnum):
    REPORT = "report"
    PODCAST = "podcast"


def worker_name(job_type: JobType | str) -> str:
    """The worker's Lambda function as ``app.py`` names it (``report_worker``)."""
    return f"{job_type}_worker"


def worker_function_setting(job_type: JobType | str) -> str:
    """The setting that holds the deployed worker's function name (``REPORT_WORKER_FUNCTION``)."""
    return f"{str(job_type).upper()}_WORKER_FUNCTION"


def worker_resource(job_type: JobType | str) -> str:
    """The worker's logical name in the packaged template (``ReportWorker``), as
    ``chalice package`` derives it from the function's name."""
    return "".join(part.capitalize() for part in worker_name(job_type).split("_"))
