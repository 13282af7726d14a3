"""Invoking functions: the interface the event sources use, and an in-process implementation
(used by the tests; the local runner uses isolated worker processes with the same interface)."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from oms_local.context import LocalContext
from oms_local.functions import FunctionSpec, load_handler


@dataclass
class InvokeResult:
    ok: bool
    value: Any = None
    error: str | None = None
    duration_ms: float = 0.0


class Invoker(Protocol):
    specs: dict[str, FunctionSpec]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> InvokeResult: ...


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({k: v for k, v in saved.items() if not k.startswith(("AWS_", "POWERTOOLS_", "OMS_"))})
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def reset_shared_state() -> None:
    """Forget per-process caches of the shared layer (settings, boto3 clients) before loading a
    function, as a fresh Lambda sandbox would."""
    settings = sys.modules.get("oms.settings")
    if settings is not None:
        settings.get_settings.cache_clear()
    aws = sys.modules.get("oms.data.aws_clients")
    if aws is not None:
        aws.client.cache_clear()


class InProcessInvoker:
    """Loads each function once, in this process, with its own environment (not thread-safe:
    in-process moto is not thread-safe either)."""

    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        *,
        endpoint_url: str | None = None,
        hook: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.specs = specs
        self.endpoint_url = endpoint_url
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.modules: dict[str, Any] = {}
        self.hook = hook
        self.calls: list[tuple[str, dict[str, Any], InvokeResult]] = []
        self.current = ""  # the function running now (for tagging the AWS calls it makes)

    def load(self, logical_id: str) -> Any:
        spec = self.specs[logical_id]
        with environment(spec.lambda_environment(self.endpoint_url)):
            reset_shared_state()
            module, handler = load_handler(spec, unique=f"{logical_id}_{id(self)}")
        self.handlers[logical_id] = handler
        self.modules[logical_id] = module
        return module

    def invoke(self, logical_id: str, event: dict[str, Any]) -> InvokeResult:
        spec = self.specs[logical_id]
        if logical_id not in self.handlers:
            self.load(logical_id)
        if self.hook:
            self.hook(logical_id, event)
        context = LocalContext(spec.name, spec.arn, spec.memory, spec.timeout)
        with environment(spec.lambda_environment(self.endpoint_url)):
            self.current = logical_id
            started = time.perf_counter()
            try:
                value = self.handlers[logical_id](event, context)
                result = InvokeResult(True, value, duration_ms=(time.perf_counter() - started) * 1000)
            except Exception as exc:
                result = InvokeResult(
                    False,
                    error="".join(traceback.format_exception_only(exc)).strip(),
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            finally:
                self.current = ""
        self.calls.append((logical_id, event, result))
        return result
