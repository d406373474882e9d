from core.errors import MicrocredError


class AccountDeletionRefused(MicrocredError):
    """Something must be settled before the account can be deleted; `reasons` says what."""

    code = "account_deletion_refused"
    status = 409

    def __init__(self, message: str, *, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons
