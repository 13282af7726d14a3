"""Errors with a stable machine code and a human message, shared by every entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oms.models import ShortLine


class OmsError(Exception):
    """Base error. ``code`` is stable (clients match on it); ``message`` is for people."""

    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            # Each entry says what is wrong in words too (the error's own, unless it has its own).
            body["errors"] = [
                {"message": self.message, **d} if isinstance(d, dict) and "message" not in d else d
                for d in self.details
            ]
        return body


class BadRequest(OmsError):
    code = "bad_request"
    status = 400


class Unauthorized(OmsError):
    code = "unauthorized"
    status = 401


class NotFound(OmsError):
    code = "not_found"
    status = 404


class Conflict(OmsError):
    code = "conflict"
    status = 409


class PayloadTooLarge(OmsError):
    code = "payload_too_large"
    status = 413


class ValidationFailed(OmsError):
    code = "validation_error"
    status = 422


class TooManyRequests(OmsError):
    code = "too_many_attempts"
    status = 429


class IllegalTransition(Conflict):
    code = "illegal_transition"


class ServiceUnavailable(OmsError):
    code = "service_unavailable"
    status = 503


# Raised by the data layer when a write loses (services retry or turn them into 409s).


class StockShortage(Exception):
    """The reservation could not be made: these lines are short (``available`` None: unknown SKU)."""

    def __init__(self, short: list[ShortLine]) -> None:
        super().__init__(f"{len(short)} line(s) short")
        self.short = short


class ConcurrentModification(Exception):
    """The order changed between our read and our write (or the transaction conflicted)."""
