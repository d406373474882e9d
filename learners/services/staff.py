"""What unit and tenant admins do for learners: merge two accounts of one person (within the
tenant), and e-mail a learner a sign-in code."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.email_verification import verify_email_indirectly
from allauth.account.internal.flows.login import perform_login, record_authentication
from allauth.account.models import Login
from allauth.core import ratelimit
from allauth.core.internal.cryptokit import normalize_user_code
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from identity.models import User
from learners.errors import (
    CodeExpired,
    CodeIncorrect,
    CodeNotPending,
    MergeRefused,
    TooManyAttempts,
    TooManyRequests,
)
from learners.models import AccountMerge, ContactConsent, LearnerOrigin, LearnerRecord, StaffIssuedCode
from learners.registry import MergeContext, merge_movers
from learners.selectors import account_for_email, learner_for_staff, normalize_email
from learners.services.signin import SESSION_ORIGIN_KEY, clean_email
from tenants.models import StaffMembership, Tenant, Unit
from tenants.selectors import StaffAccess

MAX_CODE_ATTEMPTS = 3


def account_merge(
    *, tenant: Tenant, access: StaffAccess, actor: User, source_id: int, target_id: int
) -> AccountMerge:
    """Move `source`'s records in this tenant to `target` (every registered mover), and record who
    merged what. Both must be learners the actor can see; other tenants' data never moves."""
    source = learner_for_staff(tenant=tenant, access=access, user_id=source_id).user
    target = learner_for_staff(tenant=tenant, access=access, user_id=target_id).user
    if source.pk == target.pk:
        raise MergeRefused(_("These are the same account; choose two different ones."))
    if StaffMembership.objects.filter(tenant=tenant, user__in=[source, target]).exists():
        raise MergeRefused(_("Staff accounts cannot be merged here; ask a tenant administrator."))
    with transaction.atomic():
        # Lock both accounts in one order, so two merges of the same pair cannot interleave.
        locked = {
            u.pk: u
            for u in User.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        }
        merge = MergeContext(tenant=tenant, source=locked[source.pk], target=locked[target.pk], actor=actor)
        moved = {name: mover(merge) for name, mover in merge_movers.items()}
        return AccountMerge.objects.create(
            tenant=tenant,
            actor=actor,
            source=source,
            target=target,
            actor_email=actor.email,
            source_email=source.email,
            target_email=target.email,
            moved=moved,
        )


def move_learner_record(merge: MergeContext) -> int:
    """learners' own mover: the source's record is marked merged into the target's."""
    record = LearnerRecord.objects.filter(
        tenant=merge.tenant, user=merge.source, merged_into__isnull=True
    ).first()
    if record is None:
        return 0
    target_record, _created = LearnerRecord.objects.get_or_create(
        tenant=merge.tenant, user=merge.target, defaults={"origin": LearnerOrigin.MERGE}
    )
    target_record.units.add(*record.units.all())
    record.merged_into = target_record
    record.merged_at = timezone.now()
    record.save(update_fields=["merged_into", "merged_at"])
    return 1


def move_consents(merge: MergeContext) -> int:
    return ContactConsent.objects.filter(tenant=merge.tenant, user=merge.source).update(user=merge.target)


def _code_hash(code: str, user_id: int) -> str:
    # Normalised as allauth does (case, dashes, spaces): "bcdf ghjk" matches "BCDF-GHJK".
    value = f"{user_id}:{normalize_user_code(code)}"
    return salted_hmac("learners.staff_issued_code", value, algorithm="sha256").hexdigest()


def staff_code_send(
    *,
    request: HttpRequest,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    user_id: int,
    unit: Unit | None = None,
) -> StaffIssuedCode:
    """E-mail a learner a fresh sign-in code (their earlier staff-issued codes stop working)."""
    learner = learner_for_staff(tenant=tenant, access=access, user_id=user_id).user
    if not ratelimit.consume(request, action="request_login_code", key=normalize_email(learner.email)):
        raise TooManyRequests(_("Too many sign-in codes were sent to this address. Wait a few minutes."))
    code = get_adapter(request).generate_login_code()
    now = timezone.now()
    with transaction.atomic():
        StaffIssuedCode.objects.filter(tenant=tenant, user=learner, used_at__isnull=True).update(used_at=now)
        issued = StaffIssuedCode.objects.create(
            tenant=tenant,
            user=learner,
            issued_by=actor,
            code_hash=_code_hash(code, learner.pk),
            expires_at=now + timedelta(seconds=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT),
        )
    get_adapter(request).send_mail(
        "learners/email/staff_code",
        learner.email,
        {
            "code": code,
            "learner": learner,
            "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
            "signin_url": request.build_absolute_uri(
                reverse("staff-code") + "?" + urlencode({"email": learner.email})
            ),
        },
    )
    return issued


def _use_staff_code(tenant: Tenant, user: User | None, code: str) -> str:
    """Check and spend one attempt at the latest staff-issued code; says what happened.
    Runs in its own transaction so a wrong attempt is counted even though the caller refuses."""
    if user is None:
        return "missing"
    with transaction.atomic():
        issued = (
            StaffIssuedCode.objects.select_for_update()
            .filter(tenant=tenant, user=user, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if issued is None:
            return "missing"
        if issued.expires_at <= timezone.now():
            return "expired"
        if constant_time_compare(issued.code_hash, _code_hash(code, user.pk)):
            issued.used_at = timezone.now()
            issued.save(update_fields=["used_at"])
            return "ok"
        issued.failed_attempts += 1
        if issued.failed_attempts >= MAX_CODE_ATTEMPTS:
            issued.used_at = timezone.now()
        issued.save(update_fields=["failed_attempts", "used_at"])
        return "locked" if issued.used_at else "wrong"


def staff_code_redeem(
    *, request: HttpRequest, tenant: Tenant, email: str, code: str, next_url: str | None = None
) -> HttpResponse:
    """Sign in with a code staff had e-mailed: single use, expiring, three attempts."""
    email = clean_email(email)
    user = account_for_email(email)
    outcome = _use_staff_code(tenant, user, code)
    if outcome == "missing":
        raise CodeNotPending(
            _("No code is waiting for this address, or it was used already. Ask for a new one.")
        )
    if outcome == "expired":
        raise CodeExpired(_("This code has expired. Ask for a new one."))
    if outcome == "locked":
        raise TooManyAttempts(_("Too many wrong codes. For your safety, ask for a new code."))
    if outcome == "wrong" or user is None:
        message = _("That code is not right. Check the e-mail and try again.")
        raise CodeIncorrect(message, fields={"code": [message]})
    request.session[SESSION_ORIGIN_KEY] = LearnerOrigin.SIGN_IN
    record_authentication(request, user, method="code", email=email)
    verify_email_indirectly(request, user, email)
    response: HttpResponse = perform_login(request, Login(user=user, email=email, redirect_url=next_url))
    return response
