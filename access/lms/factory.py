"""`client_for(connection)`: the LmsClient for a connection's kind, with its token decrypted and
its options read. OneRoster LMSs read Microcred's roster; there is nothing to push to them."""

from __future__ import annotations

from django.conf import settings

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
