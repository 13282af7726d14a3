"""One HTTP transport for outside APIs: urllib (no extra dependency), explicit timeouts, errors
that say whether a retry can help. Tests swap in a transport that replays recorded exchanges."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
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

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


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
        )
    return response.json()


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
