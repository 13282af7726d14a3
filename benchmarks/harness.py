"""An in-process stack on moto for measuring: the template's resources, the demo data, every
AWS call recorded (and tagged with the function that made it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

for _k, _v in {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_METRICS_NAMESPACE": "OMS",
}.items():
    os.environ.setdefault(_k, _v)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

from oms_local import motofix  # noqa: E402
from oms_local.awscalls import Recorder  # noqa: E402
from oms_local.cloud import LocalApi, LocalCloud  # noqa: E402
from oms_local.invoke import InProcessInvoker, InvokeResult  # noqa: E402
from oms_local.runner import LOCAL_PARAMETERS  # noqa: E402
from oms_local.seed import seed  # noqa: E402


@dataclass
class Bench:
    cloud: LocalCloud
    api: LocalApi
    recorder: Recorder

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
        try:
            yield Bench(cloud, api, recorder)
        finally:
            recorder.uninstall()
