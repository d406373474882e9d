from core.errors import MicrocredError, ValidationFailed


class CodeRefused(MicrocredError):
    """A code the learner typed cannot be used for this order: the message says why."""

    code = "code_refused"
    status = 400


class PromotionInvalid(ValidationFailed):
    code = "promotion_invalid"
