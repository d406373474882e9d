"""Finding work a lost job left undone."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from credentials.models import Credential, CredentialKind
from enrollment.models import Enrollment, EnrollmentStatus

# Fresh completions are left to their own after-commit job.
SWEEP_AFTER = timedelta(minutes=2)


def enrollments_without_credential(*, limit: int = 500) -> list[int]:
    # Any credential, live or revoked: a revoked one stays revoked until a correction asks again.
    earned = Credential.objects.filter(enrollment=OuterRef("pk"), kind=CredentialKind.ACHIEVEMENT)
    return list(
        Enrollment.objects.filter(
            status=EnrollmentStatus.COMPLETED, updated_at__lte=timezone.now() - SWEEP_AFTER
        )
        .exclude(Exists(earned))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
