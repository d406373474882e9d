"""Every write of payments: orders and checkout (orders.py), storing and applying Stripe events
(events.py), fulfilment of payments and expiries (fulfilment.py), the money's follow-ups —
ledger, transfers, late refunds, receipts (settlement.py)."""
