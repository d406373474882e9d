"""What an enrollment's change means for its course access (enrollment.extensions.status_listeners)."""

from __future__ import annotations

import logging

from access.models import LmsConnection, Provision
from access.services import provisioning
from core import jobs
from enrollment.extensions import StatusChanged

logger = logging.getLogger(__name__)


def status_changed(change: StatusChanged) -> None:
    """After the commit of an enrollment's change: write what should be (pending rows, rows due
    to end; no LMS call), then send the job that calls the LMS. If the broker is down, the
    sweep (access.provisions_due) finds the pending rows."""
    gains = change.to_status in provisioning.KEEP
    if gains:
        if not LmsConnection.objects.filter(tenant_id=change.tenant_id, is_active=True).exists():
            return
    elif not Provision.objects.filter(enrollment_id=change.enrollment_id).exists():
        return  # never had access: nothing to end
    try:
        due = provisioning.provisions_plan(enrollment_id=change.enrollment_id)
    except Exception:  # a lock wait ran out: the job plans again
        logger.exception(
            "planning course access for enrollment %s failed; the job plans", change.enrollment_id
        )
        due = [0]
    if due:
        jobs.enqueue(provisioning.SYNC_TASK, change.enrollment_id)
