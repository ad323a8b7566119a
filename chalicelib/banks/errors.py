"""Domain errors of the bank-data part. Every message is a sentence a person can act on."""

from __future__ import annotations

from chalicelib.errors import DomainError

# Shown to people (the page, job errors): what is missing and what they can do. How an
# operator loads the data goes to the error's ``detail`` (and the README).
NO_DATA_MESSAGE = (
    "No financial data is loaded for this bank yet, so there are no figures to show and no "
    "report can be written. Choose a bank with data, or ask whoever runs this service to load "
    "this bank's call reports."
)
LOADING_DETAIL = (
    "Banks and their figures come from the FFIEC call-report bulk files: load them with "
    "make import FFIEC=<zip-or-folder> (python -m ingest PATH --table NAME in AWS)."
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
            f"We know of no bank with the RSSD ID {idrssd}. Search by the bank's name, city "
            "or state to find it.",
            detail=LOADING_DETAIL,
        )
        self.idrssd = idrssd


class NoBankData(BankDataError):
    """The bank is known by name only: no call-report figures are loaded for it."""

    code = "no_data"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No financial data is loaded for {name} yet, so no report can be written. Choose "
            "a bank with data, or ask whoever runs this service to load this bank's call "
            "reports.",
            detail=LOADING_DETAIL,
        )
