"""Every write on enrollments. Keyword-only, given the tenant and who is acting."""

from enrollment.services.bundles import bundle_for_sale, bundle_hold
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
from enrollment.services.completion import (
    ALL_OR_NOTHING,
    GOOD_ROWS,
    Recorded,
    completion_record,
    completion_record_staff,
)
from enrollment.services.completion_file import read_completion_csv
from enrollment.services.completion_many import Report, Wanted, completions_apply
from enrollment.services.enroll import Enrolled, enrollment_create
from enrollment.services.expiry import enrollments_expire_due, enrollments_expire_offering, waitlists_sweep
from enrollment.services.paid import PaidSeat, enrollment_confirm_paid, hold_extend_for_checkout, hold_release
from enrollment.services.waitlist import promote_if_free, waitlist_promote

__all__ = [
    "ALL_OR_NOTHING",
    "GOOD_ROWS",
    "LEARNER_CANCELLABLE",
    "Enrolled",
    "PaidSeat",
    "Recorded",
    "Report",
    "Wanted",
    "bundle_for_sale",
    "bundle_hold",
    "completion_record",
    "completion_record_staff",
    "completions_apply",
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
    "read_completion_csv",
    "staff_cancel",
    "staff_enroll_by_email",
    "waitlist_entry_promote",
    "waitlist_leave",
    "waitlist_promote",
    "waitlists_sweep",
]
