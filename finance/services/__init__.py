"""Finance's writes: imports (imports.py), payouts in the ledger (payout_posting.py),
reconciliation (reconcile.py), GL journal exports (journal.py)."""
