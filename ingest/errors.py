"""Errors of an import. Every message is a sentence a person can act on."""

from __future__ import annotations

from chalicelib.banks.errors import BankDataError


class FFIECFormatError(BankDataError):
    """A bulk file is not in the FFIEC CDR "Call Reports — Single Period" format."""

    code = "ffiec_format"

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(
            f"{where}: {problem}. Nothing was imported; fix or replace the file "
            "(download it again from the FFIEC CDR bulk data page) and re-run the import."
        )
        self.file = file
        self.line = line
        self.problem = problem


class ImportIncomplete(BankDataError):
    """Writing stopped part-way; the named quarter may be partly written."""

    code = "import_incomplete"

    def __init__(self, quarter: str, written: int, total: int, source: str, cause: str) -> None:
        super().__init__(
            f"The import stopped while writing quarter {quarter} ({written} of {total} banks "
            f"written): {cause}. Quarter {quarter} is incomplete; re-run "
            f"`make import FFIEC={source}` — importing the same files again is safe and "
            "replaces the quarter."
        )
        self.quarter = quarter
        self.written = written
        self.total = total


class SyntheticUnderRealId(BankDataError):
    """A synthetic file claims the id of a known real bank."""

    code = "synthetic_real_id"

    def __init__(self, file: str, idrssd: str, name: str) -> None:
        super().__init__(
            f"{file}: the synthetic bank {name!r} uses RSSD id {idrssd}, which belongs to a real "
            "bank; synthetic figures are never stored under a real bank's id. Regenerate the "
            "sample with `python -m ingest.sample`."
        )
