"""The deployment template, packaged once per session exactly as ``make package`` does."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy import package
from deploy.package import PACKAGING_SETTINGS


@dataclass(frozen=True)
class Packaged:
    path: Path
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id]["Properties"]
        return properties

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }


def packaging_env(**overrides: str) -> dict[str, str]:
    """The caller's environment minus anything that would change what is packaged."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in PACKAGING_SETTINGS and key not in {"AWS_ENDPOINT_URL", "AWS_PROFILE"}
    }
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    env.update(overrides)
    return env


def build_template(out_dir: Path, **env: str) -> Packaged:
    result = package.build(out_dir, env=packaging_env(**env))
    if result.returncode != 0:
        pytest.fail(
            "chalice package failed (it needs the package index for requirements.txt):\n"
            + result.stdout
            + result.stderr,
            pytrace=False,
        )
    path = out_dir / "sam.json"
    return Packaged(path, json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    return build_template(tmp_path_factory.mktemp("package") / "out")
