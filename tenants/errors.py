from core.errors import MicrocredError, NotFound


class NotVisible(NotFound):
    """Another tenant's or another unit's object, or a page the role does not reach: 404."""

    code = "not_found"


class InvitationUnusable(MicrocredError):
    code = "invitation_unusable"
    status = 400


class InvitationWrongAccount(MicrocredError):
    code = "invitation_wrong_account"
    status = 403


class SelfRemovalRefused(MicrocredError):
    code = "cannot_remove_self"
    status = 400
