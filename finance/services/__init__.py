"""Finance\x27s writes: imports (imports.py), reconciliation (reconcile.py), journal exports (journal.py)."""
