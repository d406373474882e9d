"""Every write of sponsors: employers, seat pools and their invoices, redeeming pool seats."""
