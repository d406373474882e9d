"""`client_for(connection)`: the LmsClient for a connection's kind, with its token decrypted and
its options read, and the course ids it resolved kept across jobs (`CachedCourseIds`). OneRoster
LMSs read Microcred's roster; there is nothing to push to them."""

from __future__ import annotations

import contextlib
import hashlib

from django.conf import settings
from django.core.cache import cache

from access.lms.base import LmsClient, LmsError
from access.lms.canvas import CanvasClient
from access.lms.moodle import DEFAULT_STUDENT_ROLE_ID, MoodleClient
from access.models import LmsConnection, LmsKind
from core.secrets import SecretUnreadable, decrypt, encrypt

PURPOSE = "access.lms"
KEY_SETTING = "ACCESS_LMS_SECRETS_KEY"


def token_seal(token: str) -> str:
    return encrypt(token, purpose=PURPOSE, setting=KEY_SETTING)


def token_of(connection: LmsConnection) -> str:
    if not connection.token_encrypted:
        return ""
    try:
        return decrypt(connection.token_encrypted, purpose=PURPOSE, setting=KEY_SETTING)
    except SecretUnreadable:
        raise LmsError(
            "The stored LMS token cannot be read (the secrets key changed). Enter the token again.",
            retryable=False,
        ) from None


# A course's id rarely changes; when it does, the LMS says the old id is no course and the
# client forgets it at once. The day's limit only bounds what a forgotten shortname costs.
COURSE_ID_SECONDS = 24 * 3600


class CachedCourseIds:
    """The course ids a connection's clients resolved, in the shared cache (Redis), per
    (connection, LMS address, course reference): one look-up per course, not per job."""

    def __init__(self, connection: LmsConnection) -> None:
        address = hashlib.sha256(connection.base_url.encode()).hexdigest()[:16]
        self.prefix = f"access.lms.course:{connection.pk}:{address}:"

    def _key(self, course_ref: str) -> str:
        return self.prefix + hashlib.sha256(course_ref.encode()).hexdigest()[:32]

    # The cache is an optimisation: when it fails, the course is looked up as if never seen.

    def get(self, course_ref: str) -> int | None:
        try:
            found = cache.get(self._key(course_ref))
        except Exception:  # noqa: BLE001 - any cache failure is a miss
            return None
        return found if isinstance(found, int) else None

    def set(self, course_ref: str, course_id: int) -> None:
        with contextlib.suppress(Exception):
            cache.set(self._key(course_ref), course_id, COURSE_ID_SECONDS)

    def forget(self, course_ref: str) -> None:
        with contextlib.suppress(Exception):
            cache.delete(self._key(course_ref))


def _timeout() -> float:
    return float(getattr(settings, "ACCESS_LMS_TIMEOUT_SECONDS", 15))


def client_for(connection: LmsConnection) -> LmsClient:
    if connection.kind == LmsKind.ONEROSTER:
        raise LmsError("OneRoster LMSs read the roster; nothing to push.", retryable=False)
    if not connection.base_url:
        raise LmsError("The LMS connection has no address. Enter the LMS address.", retryable=False)
    token = token_of(connection)
    if not token:
        raise LmsError("The LMS connection has no token. Enter the LMS token.", retryable=False)
    options = connection.options or {}
    if connection.kind == LmsKind.MOODLE:
        return MoodleClient(
            base_url=connection.base_url,
            token=token,
            student_role_id=int(options.get("student_role_id") or DEFAULT_STUDENT_ROLE_ID),
            auth=str(options.get("auth") or "oauth2"),
            timeout=_timeout(),
            course_ids=CachedCourseIds(connection),
        )
    if connection.kind == LmsKind.CANVAS:
        pass_score = options.get("pass_score")
        return CanvasClient(
            base_url=connection.base_url,
            token=token,
            account_id=str(options.get("account_id") or "1"),
            authentication_provider_id=str(options.get("authentication_provider_id") or ""),
            unenrol_task=str(options.get("unenrol_task") or "conclude"),
            pass_score=float(pass_score) if pass_score not in (None, "") else None,
            timeout=_timeout(),
        )
    raise LmsError(f"Unknown LMS kind “{connection.kind}”.", retryable=False)
