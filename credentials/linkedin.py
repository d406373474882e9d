"""LinkedIn's "Add to profile" link for a credential (the certification form, filled in)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def add_to_profile_url(
    *,
    name: str,
    organization_name: str,
    issued_at: datetime,
    cert_url: str,
    cert_id: str,
    expires_at: datetime | None = None,
) -> str:
    """The link that opens LinkedIn's "Add license or certification" with our fields in it."""
    fields: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization_name),
        ("issueYear", str(issued_at.year)),
        ("issueMonth", str(issued_at.month)),
    ]
    if expires_at is not None:
        fields += [("expirationYear", str(expires_at.year)), ("expirationMonth", str(expires_at.month))]
    fields += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{ADD_TO_PROFILE}?{urlencode(fields)}"
