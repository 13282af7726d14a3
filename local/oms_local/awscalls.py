"""Every AWS call a piece of code makes, seen through botocore's event hooks: counted, timed and,
for fault injection, made to fail on demand. Registered on boto3's default session, so it sees the
clients the functions create (oms.data.aws_clients) whenever they are created."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    seconds: float = 0.0
    error: str | None = None
    response: dict[str, Any] | None = None
    caller: str = ""  # the function making the call ("" for the Lambda service's pollers)
    index: int = 0  # 1-based position among the recorder's calls


Fault = Callable[[Call, int], Exception | None]  # (the call, its 1-based index) -> an error to raise


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    fault: Fault | None = None  # raised before the call is sent: it never happened
    fault_after: Fault | None = None  # raised after the answer: it happened, then the caller died
    active: bool = False
    caller: Callable[[], str] | None = None  # who is calling (e.g. the invoker's current function)
    _local: threading.local = field(default_factory=threading.local)

    def _start(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.active:
            return
        call = Call(
            model.service_model.service_name, model.name, params, caller=self.caller() if self.caller else ""
        )
        self.calls.append(call)
        call.index = len(self.calls)
        stack = getattr(self._local, "stack", [])
        stack.append((call, time.perf_counter()))
        self._local.stack = stack
        if self.fault:
            error = self.fault(call, len(self.calls))
            if error is not None:
                self._finish(error=type(error).__name__)
                raise error

    def _finish(self, error: str | None = None, **_: Any) -> None:
        stack = getattr(self._local, "stack", [])
        if stack:
            call, started = stack.pop()
            call.seconds += time.perf_counter() - started
            call.error = call.error or error

    def _after(self, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        code = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        stack = getattr(self._local, "stack", [])
        call = stack[-1][0] if stack else None
        if call is not None and isinstance(parsed, dict):
            call.response = parsed
        self._finish(error=code)
        if self.fault_after and call is not None:
            error = self.fault_after(call, call.index)
            if error is not None:
                raise error

    def _failed(self, exception: Exception | None = None, **_: Any) -> None:
        self._finish(error=type(exception).__name__ if exception else "error")

    def install(self, session: boto3.session.Session | None = None) -> Recorder:
        events = (session or _default_session())._session.get_component("event_emitter")
        events.register("provide-client-params", self._start, unique_id=f"oms-rec-start-{id(self)}")
        events.register("after-call", self._after, unique_id=f"oms-rec-after-{id(self)}")
        events.register("after-call-error", self._failed, unique_id=f"oms-rec-failed-{id(self)}")
        return self

    def uninstall(self, session: boto3.session.Session | None = None) -> None:
        events = (session or _default_session())._session.get_component("event_emitter")
        events.unregister("provide-client-params", unique_id=f"oms-rec-start-{id(self)}")
        events.unregister("after-call", unique_id=f"oms-rec-after-{id(self)}")
        events.unregister("after-call-error", unique_id=f"oms-rec-failed-{id(self)}")

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def seconds(self) -> float:
        return sum(c.seconds for c in self.calls)

    def by_operation(self) -> Counter[str]:
        return Counter(f"{c.service}:{c.operation}" for c in self.calls)

    def clear(self) -> None:
        self.calls.clear()


def _default_session() -> boto3.session.Session:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION


def client_error(code: str, operation: str, status: int = 400, message: str = "injected") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )
