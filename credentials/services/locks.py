"""The rows credentials lock, and in what order (each wait bounded: then CredentialsBusy).

1. the enrollment a credential certifies (issuing and the revocations a correction makes:
   one at a time per enrollment; a batch locks its enrollments in id order);
2. the credential itself (suspend, reinstate, revoke);
3. the learner's stacks (an advisory lock per tenant and learner: one stacks check at a time;
   stack credentials are locked under it);
4. the unit's revocation status list row, by the conditional UPDATE that takes an index
   (in a transaction of its own, before the others: every credential of the unit needs it).

Prior learning (credentials.services.recognition), apart from the above:
- uploading locks the learner's account row (one upload at a time per learner, so the same
  credential is never stored twice);
- deciding locks the recognition row.
"""

from __future__ import annotations

import zlib

from django.db import connection
from django.utils.translation import gettext as _

from core.locks import bounded_wait
from credentials.errors import CredentialsBusy
from credentials.models import Credential, Recognition
from enrollment.models import Enrollment
from identity.models import User

LOCK_TIMEOUT = "5s"


def _busy() -> CredentialsBusy:
    return CredentialsBusy(_("Someone else is changing this credential just now. Try again in a moment."))


def lock_enrollment(*, enrollment_id: int) -> Enrollment | None:
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        return (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("offering__microcredential__unit__tenant", "learner")
            .filter(pk=enrollment_id)
            .first()
        )


def lock_enrollments(*, enrollment_ids: list[int]) -> dict[int, str]:
    """Those that exist, locked in id order (so two batches never wait on each other in a
    circle): enrollment id → its status."""
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        return dict(
            Enrollment.objects.select_for_update(of=("self",))
            .filter(pk__in=enrollment_ids)
            .order_by("pk")
            .values_list("pk", "status")
        )


def lock_credential(*, tenant_id: int, credential_id: int) -> Credential | None:
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        return (
            Credential.objects.select_for_update(of=("self",))
            .select_related("unit__tenant", "learner")
            .filter(tenant_id=tenant_id, pk=credential_id)
            .first()
        )


def lock_learner_stacks(*, tenant_id: int, learner_id: int) -> None:
    """Until the transaction ends: this learner's stacks on this tenant are checked by us alone."""
    key = zlib.crc32(f"credentials.stacks:{tenant_id}:{learner_id}".encode())
    with bounded_wait(LOCK_TIMEOUT, busy=_busy), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def lock_learner(*, learner_id: int) -> None:
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        list(User.objects.select_for_update().filter(pk=learner_id).values_list("pk", flat=True))


def lock_recognition(*, tenant_id: int, recognition_id: int) -> Recognition | None:
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        return (
            Recognition.objects.select_for_update(of=("self",))
            .select_related("learner", "part__unit__tenant")
            .filter(tenant_id=tenant_id, pk=recognition_id)
            .first()
        )
