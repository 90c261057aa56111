"""One error hierarchy for everything the specification lets an LRS refuse.

Each class carries the HTTP status the specification prescribes, so the HTTP layer maps
errors to responses once (xAPI 1.0.3 Communication 3.2 "Error Codes"). Validation failures
are always 400, never 422.
"""

from __future__ import annotations


class XAPIError(Exception):
    """Base class: ``message`` is safe to show to the client."""

    status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(XAPIError):
    """400: the request is malformed or breaks a rule of the specification."""

    status = 400


class InvalidStatement(BadRequest):
    """400: a statement breaks a rule; ``path`` names the offending property."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class Unauthorized(XAPIError):
    """401: credentials are missing or wrong."""

    status = 401


class Forbidden(XAPIError):
    """403: the credentials are good but lack the scope for this request."""

    status = 403


class NotFound(XAPIError):
    """404: no such statement or document."""

    status = 404


class Conflict(XAPIError):
    """409: e.g. a statement id reused with different content."""

    status = 409


class PreconditionFailed(XAPIError):
    """412: an If-Match / If-None-Match precondition does not hold."""

    status = 412


class PayloadTooLarge(XAPIError):
    """413: the body, the batch or an attachment exceeds a configured limit."""

    status = 413


class TooManyRequests(XAPIError):
    """429: too many requests of a kind (failed sign-ins) in a while; ``retry_after`` says
    how many seconds to wait (Communication 3.2 lists 429 for this)."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
