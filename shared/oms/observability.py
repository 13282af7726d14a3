"""The one Logger, Metrics and (opt-in) Tracer of every function.

The Powertools Tracer imports the X-Ray SDK, which costs about as much cold-start time as
boto3 itself even when tracing is disabled. Lambda active tracing already records every
invocation, so the SDK (per-AWS-call subsegments) is only loaded when ``OMS_XRAY_SDK=true``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

# A function that had nothing to count is normal here (a duplicate, a read-only request).
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(utc=True)
metrics = Metrics()

F = TypeVar("F", bound=Callable[..., Any])


def xray_sdk_enabled() -> bool:
    return os.environ.get("OMS_XRAY_SDK", "false").lower() == "true"


def traced[F: Callable[..., Any]](handler: F) -> F:
    """Wrap a Lambda handler with the Powertools Tracer when the X-Ray SDK is enabled."""
    if not xray_sdk_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    tracer = Tracer()
    return cast(F, tracer.capture_lambda_handler(handler))


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Add a count metric; dimensions become a separate EMF blob so they don't leak across metrics."""
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as m:
        for key, dim in dimensions.items():
            m.add_dimension(name=key, value=dim)


def lambda_handler_of[F: Callable[..., Any]](handler: F) -> F:
    """The one decorator of every function's handler: the invocation's context in every log line
    (cleared between invocations), its metrics flushed, and tracing when the X-Ray SDK is on."""
    return cast(F, traced(metrics.log_metrics(logger.inject_lambda_context(clear_state=True)(handler))))
