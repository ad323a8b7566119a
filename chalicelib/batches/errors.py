"""What a batch request can run into, each with a sentence a person can act on."""

from __future__ import annotations

from chalicelib.errors import DomainError


class BatchNotFound(DomainError):
    code = "batch_not_found"

    def __init__(self, batch_id: str) -> None:
        super().__init__(
            "There is no such batch: it may have ended more than a day ago. "
            "The list of batches shows the ones still kept."
        )
        self.batch_id = batch_id


class BatchRefused(DomainError):
    """The batch cannot do that in its present state (cancel a finished one, retry nothing)."""

    code = "batch_conflict"


class NoBanksSelected(DomainError):
    """Well formed, but nothing to do with the data as it is: no bank matches, a named
    bank has no figures for the quarter, the quarter is not the latest (a 409: the request
    may succeed once the data changes)."""

    code = "no_banks_selected"


class NotYourBatch(DomainError):
    code = "not_your_batch"

    def __init__(self) -> None:
        super().__init__(
            "Only the person who started this batch, or an administrator, may do that."
        )


class AdminsOnly(DomainError):
    code = "admins_only"

    def __init__(self) -> None:
        super().__init__(
            "Only an administrator may start, cancel or retry a batch of every bank. "
            "Ask one, or start the banks' reports one at a time."
        )
