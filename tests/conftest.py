"""Every tier: a fake AWS account (never a real endpoint). The moto-backed stack and its fixtures
are in tests/stack.py, used by the tiers above the unit tier (tests/unit needs no AWS at all)."""

from __future__ import annotations

import os

# Before anything imports boto3: a fake account on moto, never a real AWS endpoint.
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    # botocore's account-id endpoints (123456789012.streams-ddb...) are not routed by moto yet.
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    POWERTOOLS_METRICS_NAMESPACE="OMS",
    POWERTOOLS_DEV="false",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
