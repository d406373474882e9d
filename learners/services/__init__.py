"""Every write on learners, by sub-domain: signin (codes, sign-up, guest checkout), records,
profile (profile and consent), staff (lookup actions: merge, staff-issued codes)."""
