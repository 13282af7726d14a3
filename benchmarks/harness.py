"""An in-process stack on moto for measuring: the template's resources, the demo data, every
AWS call recorded (and tagged with the function that made it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto import mock_aws

from oms_local import motofix
from oms_local.awscalls import Recorder
from oms_local.cloud import LocalApi, LocalCloud
from oms_local.invoke import InProcessInvoker, InvokeResult
from oms_local.runner import LOCAL_PARAMETERS
from oms_local.seed import seed


@dataclass
class Bench:
    cloud: LocalCloud
    api: LocalApi
    recorder: Recorder
    # Invocations per function while the recorder records (one invocation makes many AWS calls).
    invocations: Counter[str] = field(default_factory=Counter)

    def clear(self) -> None:
        self.recorder.clear()
        self.invocations.clear()

    @property
    def invoker(self) -> InProcessInvoker:
        assert isinstance(self.cloud.invoker, InProcessInvoker)
        return self.cloud.invoker

    def timed(self, function: str, event: dict[str, Any]) -> tuple[InvokeResult, float, int]:
        """Invoke once; returns the result, our own code's seconds (AWS calls taken out) and the
        number of AWS calls."""
        first = len(self.recorder.calls)
        with self.recorder.recording():
            result = self.invoker.invoke(function, event)
        calls = self.recorder.calls[first:]
        own = result.duration_ms / 1000 - sum(c.seconds for c in calls)
        return result, own, len(calls)


@contextmanager
def bench_stack() -> Iterator[Bench]:
    motofix.install()
    with mock_aws():
        # Hooks first: botocore clients copy the session's handlers when they are created.
        recorder = Recorder().install()
        cloud = LocalCloud(fast_retry=True, parameters=LOCAL_PARAMETERS)
        api = LocalApi(cloud)
        seed(api)
        assert isinstance(cloud.invoker, InProcessInvoker)
        invoker = cloud.invoker
        recorder.caller = lambda: invoker.current
        bench = Bench(cloud, api, recorder)
        invoke = invoker.invoke

        def counted(logical_id: str, event: dict[str, Any]) -> InvokeResult:
            if recorder.active:
                bench.invocations[logical_id] += 1
            return invoke(logical_id, event)

        invoker.invoke = counted  # type: ignore[method-assign]
        try:
            yield bench
        finally:
            recorder.uninstall()
