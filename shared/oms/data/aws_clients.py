"""One place that creates boto3 clients: one per service per process, created at first use
(handlers ask for theirs at module scope, so a cold start pays for them once)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode: exponential backoff with jitter on throttling and transient errors.
_DEFAULT = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=3,
    read_timeout=10,
    tcp_keepalive=True,
)
# The webhook answers Shopify within 5 s in all, so its calls must give up early.
_FAST = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=1,
    read_timeout=2,
    tcp_keepalive=True,
)


# Presigned S3 URLs with Signature Version 4 (the only one new regions accept).
_S3 = _DEFAULT.merge(Config(signature_version="s3v4"))


@cache
def client(service: str, *, fast: bool = False) -> Any:
    if service == "s3":
        return boto3.client(service, config=_S3)
    return boto3.client(service, config=_FAST if fast else _DEFAULT)
