"""Refusals of the catalog. Out-of-reach objects use tenants.errors.NotVisible (a 404)."""

from core.errors import MicrocredError, ValidationFailed


class CatalogInvalid(ValidationFailed):
    """Field-level problems; `fields` maps each field to its messages."""

    code = "invalid"
    status = 400


class TransitionRefused(MicrocredError):
    """Publishing, unpublishing, archiving or restoring from a state that does not allow it."""

    code = "transition_refused"
    status = 409


class PublishRefused(MicrocredError):
    """Something must be set before learners can see this."""

    code = "publish_refused"
    status = 409


class CapacityBelowSeatsTaken(MicrocredError):
    code = "capacity_below_seats_taken"
    status = 409


class ArchivedNotEditable(MicrocredError):
    code = "archived"
    status = 409
