"""Finance's console pages, one module per page group: payouts (list, detail by unit), the
problems queue, unit statements with their chart, GL journal exports; each list also as CSV.
Thin: parse, call a selector or service, render. Out of a person's reach is a 404
(finance.selectors decides)."""
