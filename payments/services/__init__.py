"""Every write of payments: orders and checkout (orders.py), storing and applying Stripe events
(events.py), fulfilment of payments and expiries (fulfilment.py), the money's follow-ups —
ledger posting and transfers (ledger_posting.py), late refunds and receipts (settlement.py);
refunds (refund_states, refund_requests, refund_execution, refund_ledger, refund_notices,
refund_sweep), learners' cancellation (cancellation.py), staff's refunds (staff_refunds.py); the
row locks of all of them (locks.py). Reads are in payments.selectors, wording in presenters."""
