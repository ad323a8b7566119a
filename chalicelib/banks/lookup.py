"""Is a bank known, and does it have figures? One ``GetItem`` answers both."""

from __future__ import annotations

from chalicelib.banks.errors import BankNotFound, NoBankData
from chalicelib.banks.table import BanksTable


class BankLookup:
    """Checks a bank before a job starts for it."""

    def __init__(self, banks: BanksTable) -> None:
        self._banks = banks

    def require_data(self, idrssd: str) -> str:
        """Return the bank's name; raise if it is unknown or has no figures loaded."""
        status = self._banks.bank_status(idrssd)
        if status is None:
            raise BankNotFound(idrssd)
        if not status.has_data:
            raise NoBankData(status.name)
        return status.name
