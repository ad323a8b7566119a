"""The kinds of job this build runs, registered in one place.

Each kind is declared in a module of this package (``report``, ``podcast``); its name is in
``chalicelib/job_types.py``. The job core (``chalicelib/jobs/``) names none of them; the
routes (``app.py``), the wiring (``chalicelib/runtime.py``) and the deployment read them
from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.job_types import JobType
from chalicelib.kinds.kind import JobKind
from chalicelib.kinds.podcast import PODCAST
from chalicelib.kinds.report import REPORT

KINDS: Mapping[JobType, JobKind] = {kind.type: kind for kind in (REPORT, PODCAST)}
