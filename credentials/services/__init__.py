"""Credentials: keys and issuers, issuing, status, verification."""
