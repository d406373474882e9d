"""Every write on the catalog. Keyword-only, given the tenant and who is acting."""

from catalog.services.microcredentials import (
    microcredential_archive,
    microcredential_create,
    microcredential_publish,
    microcredential_restore,
    microcredential_unpublish,
    microcredential_update,
)
from catalog.services.offerings import (
    effective_policy,
    next_cohort_shift,
    offering_archive,
    offering_copy_as_next_cohort,
    offering_create,
    offering_publish,
    offering_restore,
    offering_unpublish,
    offering_update,
)
from catalog.services.refund_policies import check_tiers, refund_policy_create, refund_policy_update
from catalog.services.seats import offering_seats_release, offering_seats_take

__all__ = [
    "check_tiers",
    "effective_policy",
    "microcredential_archive",
    "microcredential_create",
    "microcredential_publish",
    "microcredential_restore",
    "microcredential_unpublish",
    "microcredential_update",
    "next_cohort_shift",
    "offering_archive",
    "offering_copy_as_next_cohort",
    "offering_create",
    "offering_publish",
    "offering_restore",
    "offering_seats_release",
    "offering_seats_take",
    "offering_unpublish",
    "offering_update",
    "refund_policy_create",
    "refund_policy_update",
]
