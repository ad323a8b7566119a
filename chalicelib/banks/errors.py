"""Domain errors of the bank-data part. Every message is a sentence a person can act on."""

from __future__ import annotations

from chalicelib.errors import DomainError

# Shown to people (the page, job errors): what is missing and what they can do. How an
# operator loads the data (`make import`, the FFIEC download) is the README's to say.
NO_DATA_MESSAGE = (
    "No financial data is loaded for this bank yet, so there are no figures to show and no "
    "report can be written. Choose a bank with data, or ask whoever runs this service to load "
    "this bank's call reports."
)


class BankDataError(DomainError):
    """Base class: something about bank data that the caller should tell a person."""

    code = "bank_data_error"


class InvalidQuery(BankDataError):
    """A search text a person typed cannot be used as it is."""

    code = "invalid_query"


class BankNotFound(BankDataError):
    """No bank with this RSSD id is in the Banks table."""

    code = "bank_not_found"

    def __init__(self, idrssd: str) -> None:
        super().__init__(
            f"No bank with RSSD id {idrssd} is known; search by name to find its id, or import "
            "the FFIEC bulk file that contains it (`make import FFIEC=<zip-or-folder>`)."
        )
        self.idrssd = idrssd


class NoBankData(BankDataError):
    """The bank is known by name only: no call-report figures are loaded for it."""

    code = "no_data"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No financial data is loaded for {name}. Import the FFIEC call-report bulk file "
            "that contains it (make import FFIEC=<zip-or-folder>) and try again."
        )
