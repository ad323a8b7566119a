"""Reading what the service tells its operators: EMF documents from captured stdout, and
the JSON log lines of the Powertools logger."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalicelib.logs import get_logger
from chalicelib.telemetry import NAMESPACE


@dataclass(frozen=True)
class Point:
    """One metric of one EMF document, under one of its dimension sets."""

    name: str
    unit: str
    dimensions: dict[str, str]
    values: tuple[float, ...]
    properties: dict[str, Any]

    @property
    def total(self) -> float:
        return sum(self.values)


def emf_documents(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` that is an EMF document (a JSON object with ``_aws``)."""
    documents = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            documents.append(document)
    return documents


def emf_points(text: str) -> list[Point]:
    """The metrics of every EMF document in ``text``, one point per dimension set."""
    points = []
    for document in emf_documents(text):
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            names = {metric["Name"] for metric in directive["Metrics"]}
            skipped = names | {key for keys in directive["Dimensions"] for key in keys}
            properties = {k: v for k, v in document.items() if k != "_aws" and k not in skipped}
            for keys in directive["Dimensions"]:
                dimensions = {key: document[key] for key in keys}
                for metric in directive["Metrics"]:
                    raw = document[metric["Name"]]
                    values = tuple(raw) if isinstance(raw, list) else (raw,)
                    points.append(
                        Point(metric["Name"], metric["Unit"], dimensions, values, properties)
                    )
    return points


def named(points: list[Point], name: str, **dimensions: str) -> list[Point]:
    """The points of metric ``name`` whose dimensions are exactly ``service`` plus these."""
    return [
        point
        for point in points
        if point.name == name
        and {k: v for k, v in point.dimensions.items() if k != "service"} == dimensions
    ]


@contextmanager
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """The JSON log lines written while the block runs, parsed (they are read at exit)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = get_logger()
    handler.setFormatter(logger.handlers[0].formatter)
    logger.addHandler(handler)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line)
