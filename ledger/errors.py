"""Refusals of the ledger."""

from __future__ import annotations

from core.errors import MicrocredError


class LedgerError(MicrocredError):
    code = "ledger_error"
    status = 400


class LedgerUnbalanced(LedgerError, ValueError):
    """The lines cannot form a transaction: they do not sum to zero, are fewer than two, carry a
    zero amount, or name a unit where the account kind has none (or none where it needs one)."""

    code = "ledger_unbalanced"
    status = 400


class LedgerConflict(LedgerError):
    """The source was already posted with other lines (or the transaction already reversed)."""

    code = "ledger_conflict"
    status = 409
