"""The ``aws`` fixture's value: one fresh moto account holding the project's resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.resources import ResourceNames


@dataclass(frozen=True)
class Aws:
    """Clients and tables of a moto account built from ``infra/resources.json``.

    The clients are typed ``Any``: boto3 builds them at run time and the project carries
    no stubs for them."""

    dynamodb: Any
    s3: Any
    jobs_table: Any
    banks_table: Any
    bucket: str
    names: ResourceNames
