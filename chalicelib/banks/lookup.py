"""Is a bank known, and does it have figures? One ``Query`` answers both."""

from __future__ import annotations

from typing import Any

from chalicelib.banks.errors import BankNotFound, NoBankData

PROFILE_SK = "PROFILE"
QUARTER_PREFIX = "Q#"


class BankLookup:
    """Checks a bank before a job starts for it, over the Banks table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def require_data(self, idrssd: str) -> str:
        """Return the bank's name; raise if it is unknown or has no quarters loaded."""
        # "PROFILE" sorts before "Q#…", so the first two items say both whether the bank
        # exists and whether any quarter does.
        response = self._table.query(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": "pk", "#sk": "sk", "#name": "name"},
            ExpressionAttributeValues={":pk": f"BANK#{idrssd}"},
            ProjectionExpression="#sk, #name",
            Limit=2,
        )
        items = response.get("Items", [])
        profile = next((item for item in items if item["sk"] == PROFILE_SK), None)
        if profile is None:
            raise BankNotFound(idrssd)
        name = str(profile.get("name") or f"RSSD {idrssd}")
        if not any(str(item["sk"]).startswith(QUARTER_PREFIX) for item in items):
            raise NoBankData(name)
        return name
