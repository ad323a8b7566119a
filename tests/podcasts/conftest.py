"""Podcast tests use the report tests' synthetic sample, imported into moto."""

from __future__ import annotations

from tests.reports.conftest import banks, catalog, sample, stressed, strong  # noqa: F401
