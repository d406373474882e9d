"""Finance's writes: imports (imports.py), payouts in the ledger (ledger_posting.py),
reconciliation (reconcile.py), GL journal exports (journal.py)."""
