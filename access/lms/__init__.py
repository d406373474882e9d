"""Talking to a unit's LMS: one client per kind (Moodle web services, Canvas REST), all behind
`LmsClient` (access.lms.base), got from `client_for(connection)`."""

from access.lms.factory import client_for

__all__ = ["client_for"]
