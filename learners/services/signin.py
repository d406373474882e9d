"""Signing in and up with a one-time code, and guest checkout's identity.

Built on allauth's login-by-code process (the code and the pending sign-in live in the
requesting browser's session; allauth sends the e-mail through learners.adapters, which brands
it). The pages and the API call these same functions, so both say the same thing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from allauth.account.internal.constants import LoginStageKey
from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.account.models import EmailAddress
from allauth.account.stages import LoginStageController
from allauth.core import context, ratelimit
from allauth.core.internal.cryptokit import compare_user_code
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ValidationFailed
from identity.models import User
from learners.errors import (
    AccountClosed,
    CodeExpired,
    CodeIncorrect,
    CodeNotPending,
    TooManyAttempts,
    TooManyRequests,
)
from learners.models import LearnerOrigin
from learners.selectors import account_for_email, normalize_email

# Why the person is signing in, kept until the sign-in completes (the adapter records the learner).
SESSION_ORIGIN_KEY = "microcred_signin_origin"


def clean_email(email: str) -> str:
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        message = _("Enter a valid e-mail address, like name@example.com.")
        raise ValidationFailed(message, fields={"email": [message]}) from None
    return email


def _consume_code_rate_limit(request: HttpRequest, email: str) -> None:
    if not ratelimit.consume(request, action="request_login_code", key=email):
        raise TooManyRequests(
            _(
                "Too many sign-in codes were asked for this address or from your network. "
                "Wait a few minutes, then try again."
            )
        )


def _send_code(request: HttpRequest, user: User, email: str, origin: str) -> None:
    request.session[SESSION_ORIGIN_KEY] = origin
    # allauth reads the request from its context (its middleware sets it for views); callers
    # outside a view, such as a later app's service, work too.
    with context.request_context(request):
        LoginCodeVerificationProcess.initiate(request=request, user=user, email=email)


def _refuse_if_closed(email: str) -> None:
    if User.objects.filter(email__iexact=email, is_active=False, deleted_at__isnull=True).exists():
        raise AccountClosed(
            _("The account using %(email)s is closed. Contact the institution if you need it again.")
            % {"email": email},
            fields={"email": [_("This account is closed.")]},
        )


def _account_or_new(email: str, full_name: str) -> tuple[User, bool]:
    """The account using `email`, created (password-less, address unconfirmed) if there is none."""
    user = account_for_email(email)
    if user is not None:
        return user, False
    try:
        return _create_account(email, full_name), True
    except IntegrityError:  # the same address signed up a moment ago
        user = account_for_email(email)
        if user is None:
            raise
        return user, False


def signin_code_request(*, request: HttpRequest, email: str) -> User:
    """E-mail a sign-in code to `email`; this browser then confirms it.

    An address no account uses gets an account and the same code (typing it confirms the
    address and signs the person up), so the page never tells anyone which addresses have one.
    """
    email = clean_email(email)
    _refuse_if_closed(email)
    _consume_code_rate_limit(request, email)
    user, created = _account_or_new(email, "")
    _send_code(request, user, email, LearnerOrigin.SIGN_UP if created else LearnerOrigin.SIGN_IN)
    return user


def _create_account(email: str, full_name: str) -> User:
    with transaction.atomic():
        user = User.objects.create_user(email=email, full_name=full_name.strip())
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


def account_signup(*, request: HttpRequest, email: str, full_name: str = "") -> User:
    """Create a password-less account and e-mail the code that confirms it and signs the person in.

    An address an account already uses gets a sign-in code instead (its name is left as it is):
    the answer is the same either way, so sign-up does not tell which addresses have accounts.
    """
    email = clean_email(email)
    _refuse_if_closed(email)
    if not ratelimit.consume(request, action="signup"):
        raise TooManyRequests(_("Too many accounts were created from your network. Try again in a minute."))
    _consume_code_rate_limit(request, email)
    user, created = _account_or_new(email, full_name)
    _send_code(request, user, email, LearnerOrigin.SIGN_UP if created else LearnerOrigin.SIGN_IN)
    return user


@dataclass(frozen=True)
class GuestIdentity:
    """Who a guest checkout is for. The order keeps `email` and points at `user`; the learner is
    signed in (and their address confirmed) once they type the e-mailed code."""

    user: User
    email: str
    created: bool


def guest_identity_for_email(*, request: HttpRequest, email: str, full_name: str = "") -> GuestIdentity:
    """Create or match the account for a guest's e-mail address and e-mail them a sign-in code.

    Nobody types a password. A matched account is not signed in until its owner types the code.
    """
    email = clean_email(email)
    _refuse_if_closed(email)
    _consume_code_rate_limit(request, email)
    user = account_for_email(email)
    created = False
    if user is None:
        try:
            user = _create_account(email, full_name)
            created = True
        except IntegrityError:
            user = account_for_email(email)
            if user is None:
                raise
    _send_code(request, user, email, LearnerOrigin.GUEST)
    return GuestIdentity(user=user, email=email, created=created)


def learner_account_ensure(*, email: str, full_name: str = "") -> GuestIdentity:
    """Create or match the account for an address, without e-mailing a code or signing anyone in.

    For staff acting for a learner (a unit admin enrolling someone by e-mail): the learner later
    signs in with a code of their own, which also confirms the address.
    """
    email = clean_email(email)
    _refuse_if_closed(email)
    user = account_for_email(email)
    created = False
    if user is None:
        try:
            user = _create_account(email, full_name)
            created = True
        except IntegrityError:
            user = account_for_email(email)
            if user is None:
                raise
    return GuestIdentity(user=user, email=email, created=created)


def _pending_process(request: HttpRequest) -> LoginCodeVerificationProcess | None:
    stage = LoginStageController.enter(request, LoginStageKey.LOGIN_BY_CODE.value)
    return LoginCodeVerificationProcess(stage=stage) if stage is not None else None


def pending_code_email(request: HttpRequest) -> str | None:
    """The address a code was sent to from this browser, while that code can still be typed."""
    process = _pending_process(request)
    if process is None:
        return None
    email = process.state.get("email")
    return email if isinstance(email, str) else None


def _count_attempt(process: LoginCodeVerificationProcess) -> int:
    """This try's number for the pending code, counted atomically in Redis (INCR).

    The session also counts wrong codes, but requests sent at once each read the same count
    from it: 30 wrong codes at once were checked 5 or 6 times. The shared counter lets through
    at most `max_attempts` checks however many arrive together.
    """
    digest = hashlib.sha256(f"{process.state.get('email')}:{process.code}".encode()).hexdigest()
    key = f"signin:code-attempts:{digest}"
    cache.add(key, 0, timeout=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 60)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this is the first try of a fresh count
        cache.add(key, 1, timeout=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 60)
        return 1


def signin_code_confirm(*, request: HttpRequest, code: str, next_url: str | None = None) -> HttpResponse:
    """Check the code typed in this browser. On success the person is signed in (or sent on to
    their second factor) and allauth's response says where to go next."""
    process = _pending_process(request)
    if process is None:
        raise CodeNotPending(_("This code was already used, or it has expired. Ask for a new code."))
    if not process.is_valid():
        process.abort()
        minutes = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60
        raise CodeExpired(
            ngettext(
                "This code has expired: codes work for %(minutes)d minute. Ask for a new one.",
                "This code has expired: codes work for %(minutes)d minutes. Ask for a new one.",
                minutes,
            )
            % {"minutes": minutes}
        )
    attempt = _count_attempt(process)
    if attempt > process.max_attempts:
        process.abort()
        raise TooManyAttempts(_("Too many wrong codes. For your safety, ask for a new code."))
    if not compare_user_code(actual=code.strip(), expected=process.code):
        left = process.max_attempts - attempt
        if process.record_invalid_attempt() and left > 0:
            message = ngettext(
                "That code is not right. Check the e-mail and try again (%(left)d try left).",
                "That code is not right. Check the e-mail and try again (%(left)d tries left).",
                left,
            ) % {"left": left}
            raise CodeIncorrect(message, fields={"code": [message]})
        process.abort()
        raise TooManyAttempts(_("Too many wrong codes. For your safety, ask for a new code."))
    response: HttpResponse = process.finish(next_url)
    return response
