"""Finance's domain errors."""

from __future__ import annotations

from core.errors import MicrocredError, NotFound


class FinanceNotVisible(NotFound):
    code = "not_found"


class ImportFailed(MicrocredError):
    """Stripe could not be read; the import stopped and keeps what it had written (it resumes)."""

    code = "stripe_import_failed"
    status = 502


class NothingToExport(MicrocredError):
    code = "nothing_to_export"
    status = 409


class FinanceBusy(MicrocredError):
    """Another export or reconciliation of the tenant held the lock longer than LOCK_TIMEOUT:
    nothing was written; try again in a moment (the jobs retry by themselves)."""

    code = "finance_busy"
    status = 409
