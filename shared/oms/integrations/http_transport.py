"""One HTTP transport for outside APIs: urllib (no extra dependency), explicit timeouts, errors
that say whether a retry can help. Tests swap in a transport that replays recorded exchanges."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class HttpError(Exception):
    """A call that failed. ``retryable``: a later attempt may succeed (429, 5xx, network)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the API asked us to wait (Retry-After), if it said


class Transport(Protocol):
    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse: ...


class UrllibTransport:
    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        if not url.startswith("https://"):
            raise HttpError("outside APIs are called over HTTPS only")
        req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - https only
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 - https only
                return HttpResponse(response.status, response.read(), dict(response.headers.items()))
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.read(), dict(error.headers.items()))
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            raise HttpError(
                f"{method} {url.split('?')[0]} failed: {type(error).__name__}", retryable=True
            ) from error


def call_json(
    transport: Transport,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    payload: Any = None,
    timeout: float = 10.0,
    service: str = "API",
) -> Any:
    body = json.dumps(payload).encode() if payload is not None else None
    sent = {"accept": "application/json", **({"content-type": "application/json"} if body else {}), **headers}
    response = transport.request(method, url, headers=sent, body=body, timeout=timeout)
    if response.status >= 400:
        raise HttpError(
            f"{service} answered {response.status}{_error_code(response)}",
            status=response.status,
            retryable=response.status == 429 or response.status >= 500,
            retry_after=retry_after(response.headers),
        )
    return response.json()


MAX_RETRY_AFTER = 12 * 3600  # SQS holds a message invisible for at most 12 hours


def retry_after(headers: dict[str, str], now: datetime | None = None) -> int | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or BigCommerce's
    ``X-Rate-Limit-Time-Reset-Ms`` (milliseconds until its quota refills), capped at what a queue
    can wait; None when there is none or it cannot be read."""
    lowered = {k.lower(): v for k, v in headers.items()}
    reset_ms = lowered.get("x-rate-limit-time-reset-ms", "").strip()
    if reset_ms.isdigit():
        return max(0, min(-(-int(reset_ms) // 1000), MAX_RETRY_AFTER))
    value = lowered.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = int((when - (now or datetime.now(UTC))).total_seconds())
    return max(0, min(seconds, MAX_RETRY_AFTER))


def _error_code(response: HttpResponse) -> str:
    """A machine-readable error code from the answer, if it has one. Never the message: error
    bodies often quote what was sent (names, addresses) and this text ends up in logs."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else body.get("code")
    if isinstance(code, str) and code.replace("_", "").replace(".", "").replace("-", "").isalnum():
        return f" ({code[:60]})"
    return ""
