"""``bank-research admin key create|revoke|list``: one API key and usage plan per program.

Programs (scripts, other services) do not sign in: each gets a key of its own, in a usage
plan of its own on the stage of the API that takes keys (the programs' API of a deployment,
or the local stack's stand-in), so that each is its own caller: its own jobs, its own start
limit, its own throttle and daily quota. The command asks the service where that API is
(``GET /api/auth/config``) and then talks to API Gateway with the administrator's own AWS
credentials (boto3's usual chain: ``AWS_PROFILE``, …); locally, to the emulator the service
names. boto3 is imported only here: the other commands need nothing but the standard
library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bank_research_cli.errors import ApiError, CliError, ConnectionProblem, UsageError

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
DEFAULT_RATE, DEFAULT_BURST, DEFAULT_PER_DAY = 20.0, 40, 100_000
TAG_PROGRAM = "bank-research:program"


@dataclass(frozen=True)
class Limits:
    rate: float = DEFAULT_RATE  # requests per second, steady
    burst: int = DEFAULT_BURST
    per_day: int = DEFAULT_PER_DAY


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UsageError(
            f"'{name[:40]}' cannot name a program's key: use 1 to 40 lower-case letters, digits "
            "and hyphens, starting with a letter or digit (for example nightly-export).",
            "invalid_name",
        )
    return name


class KeyAdmin:
    """Programs' keys on one API stage, through an API Gateway client."""

    def __init__(self, apigateway: Any, rest_api_id: str, stage: str) -> None:
        self._client = apigateway
        self.rest_api_id = rest_api_id
        self.stage = stage

    def full_name(self, name: str) -> str:
        """Keys and plans are named after the API, so that two stacks never mix them up."""
        return f"bank-research-{self.rest_api_id}-{check_name(name)}"

    def create(self, name: str, limits: Limits = Limits()) -> dict[str, Any]:
        full = self.full_name(name)
        if self._key(full) is not None:
            raise ApiError(
                f"A key named '{name}' exists already: revoke it first, or choose another name.",
                "key_exists",
            )
        plan = self._client.create_usage_plan(
            name=full,
            description=f"The usage plan of the program '{name}' alone.",
            apiStages=[{"apiId": self.rest_api_id, "stage": self.stage}],
            throttle={"rateLimit": limits.rate, "burstLimit": limits.burst},
            quota={"limit": limits.per_day, "period": "DAY"},
        )
        key = self._client.create_api_key(
            name=full,
            description=f"The program '{name}': its own caller, with its own usage plan.",
            enabled=True,
            tags={TAG_PROGRAM: name},
        )
        self._client.create_usage_plan_key(
            usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY"
        )
        return {
            "name": name,
            "id": key["id"],
            "value": key["value"],
            "usagePlanId": plan["id"],
            "restApiId": self.rest_api_id,
            "stage": self.stage,
            "limits": {"rate": limits.rate, "burst": limits.burst, "perDay": limits.per_day},
        }

    def revoke(self, name: str) -> dict[str, Any]:
        full = self.full_name(name)
        key, plan = self._key(full), self._plan(full)
        if key is None and plan is None:
            raise ApiError(f"There is no key named '{name}' to revoke.", "no_such_key")
        if key is not None and plan is not None:
            self._client.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
        if key is not None:
            self._client.delete_api_key(apiKey=key["id"])
        if plan is not None:
            self._client.delete_usage_plan(usagePlanId=plan["id"])
        return {"name": name, "id": None if key is None else key["id"], "revoked": True}

    def list(self) -> list[dict[str, Any]]:
        prefix = self.full_name("x")[:-1]
        keys = self._client.get_api_keys(nameQuery=prefix, limit=500)["items"]
        return sorted(
            (
                {
                    "name": key["name"].removeprefix(prefix),
                    "id": key["id"],
                    "enabled": bool(key.get("enabled")),
                    "created": str(key.get("createdDate", "")),
                }
                for key in keys
                if key["name"].startswith(prefix)
            ),
            key=lambda entry: entry["name"],
        )

    def _key(self, full: str) -> dict[str, Any] | None:
        keys = self._client.get_api_keys(nameQuery=full, limit=500)["items"]
        return next((key for key in keys if key["name"] == full), None)

    def _plan(self, full: str) -> dict[str, Any] | None:
        plans = self._client.get_usage_plans(limit=500)["items"]
        return next((plan for plan in plans if plan["name"] == full), None)


def key_admin(auth_config: dict[str, Any]) -> KeyAdmin:
    """A ``KeyAdmin`` for the API the service's sign-in settings name."""
    programs = auth_config.get("programs")
    if auth_config.get("mode") == "none" or not isinstance(programs, dict):
        raise UsageError(
            "This service is open to everyone, so it takes no keys (it was started or packaged "
            "with API_AUTH=none).",
            "no_keys",
        )
    try:
        import boto3
    except ImportError:
        raise UsageError(
            "The admin commands need boto3: run `make install`, or pip install boto3.",
            "no_boto3",
        ) from None
    endpoint = programs.get("awsEndpoint") or None
    session = (
        boto3.session.Session(  # the local emulator takes any credentials
            aws_access_key_id="local", aws_secret_access_key="local", region_name=programs["region"]
        )
        if endpoint
        else boto3.session.Session(region_name=programs["region"])
    )
    client = session.client("apigateway", endpoint_url=endpoint)
    return KeyAdmin(client, str(programs["restApiId"]), str(programs.get("stage") or "api"))


def aws_problem(error: Exception) -> CliError:
    """A sentence for what AWS said (or did not) to the administrator's credentials."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return ConnectionProblem(
            "No AWS credentials were found: sign in to AWS as an administrator of the "
            "deployment (aws configure, or AWS_PROFILE), then try again.",
            "no_credentials",
        )
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", ""))[:200]
        return ApiError(f"API Gateway refused the change ({code}): {message}".rstrip(), code)
    if isinstance(error, BotoCoreError):
        return ConnectionProblem(f"API Gateway could not be reached: {error}.", "unreachable")
    raise error
