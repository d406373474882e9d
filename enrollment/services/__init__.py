"""Every write on enrollments. Keyword-only, given the tenant and who is acting."""

from enrollment.services.changes import (
    LEARNER_CANCELLABLE,
    enrollment_cancel,
    enrollment_move,
    offer_accept,
    offer_decline,
    offer_window_set,
    staff_cancel,
    staff_enroll_by_email,
    waitlist_entry_promote,
    waitlist_leave,
)
from enrollment.services.enroll import Enrolled, enrollment_create
from enrollment.services.expiry import enrollments_expire_due, enrollments_expire_offering, waitlists_sweep
from enrollment.services.paid import PaidSeat, enrollment_confirm_paid, hold_extend_for_checkout, hold_release
from enrollment.services.waitlist import promote_if_free, waitlist_promote

__all__ = [
    "LEARNER_CANCELLABLE",
    "Enrolled",
    "PaidSeat",
    "enrollment_cancel",
    "enrollment_confirm_paid",
    "enrollment_create",
    "enrollment_move",
    "enrollments_expire_due",
    "enrollments_expire_offering",
    "hold_extend_for_checkout",
    "hold_release",
    "offer_accept",
    "offer_decline",
    "offer_window_set",
    "promote_if_free",
    "staff_cancel",
    "staff_enroll_by_email",
    "waitlist_entry_promote",
    "waitlist_leave",
    "waitlist_promote",
    "waitlists_sweep",
]
