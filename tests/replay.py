"""Replaying recorded HTTP exchanges (tests/fixtures/exchanges/*.json) in place of the network.

Each exchange is a request as our adapter must send it and the answer the API documents for it.
The replay checks every request in order: method, URL, the headers listed, and the JSON body
(exactly, unless the recording says ``"json_subset": true``). A request nobody recorded fails the
test, so an adapter that calls more, less or differently than the API expects cannot pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oms.integrations.http_transport import HttpError, HttpResponse

EXCHANGES = Path(__file__).parent / "fixtures" / "exchanges"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXCHANGES / f"{name}.json").read_text())
    return data


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    return bool(expected == actual)


@dataclass
class Replay:
    exchanges: list[dict[str, Any]]
    sent: list[dict[str, Any]] = field(default_factory=list)
    # request number (0-based, over every request sent) -> the status (or "network") it fails with
    fail_at: dict[int, int | str] = field(default_factory=dict)

    @classmethod
    def of(cls, *names: str) -> Replay:
        return cls([exchange for name in names for exchange in recorded(name)["exchanges"]])

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        payload = json.loads(body) if body else None
        self.sent.append({"method": method, "url": url, "headers": headers, "json": payload})
        failure = self.fail_at.get(len(self.sent) - 1)
        if failure is not None:
            if failure == "network":
                raise HttpError(f"{method} {url} failed: TimeoutError", retryable=True)
            return HttpResponse(int(failure), json.dumps({"errors": "recorded outage"}).encode())
        assert self.exchanges, f"unrecorded request: {method} {url}"
        exchange = self.exchanges.pop(0)
        want = exchange["request"]
        assert (method, url) == (want["method"], want["url"]), (method, url)
        for name, value in want.get("headers", {}).items():
            assert headers.get(name) == value, (name, headers.get(name))
        if "json" in want:
            if want.get("json_subset"):
                assert _subset(want["json"], payload), payload
            else:
                assert payload == want["json"], payload
        answer = exchange["response"]
        return HttpResponse(
            answer["status"], json.dumps(answer["json"]).encode(), dict(answer.get("headers", {}))
        )

    def done(self) -> bool:
        return not self.exchanges
