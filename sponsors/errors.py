"""sponsors' domain errors."""

from __future__ import annotations

from core.errors import MicrocredError, ValidationFailed


class PoolRefused(ValidationFailed):
    code = "pool_refused"


class SeatCodeRefused(ValidationFailed):
    code = "seat_code_refused"


class RunNeeded(SeatCodeRefused):
    """A code of a pool of any run: the learner chooses the run first."""

    code = "run_needed"


class BulkRefused(MicrocredError):
    """A CSV of e-mails with at least one bad row: nothing was enrolled. `rows` says which."""

    code = "bulk_refused"

    def __init__(self, message: str, *, rows: list[tuple[int, str]]) -> None:
        super().__init__(message)
        self.rows = rows
