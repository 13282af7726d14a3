"""Cost per 1,000 orders at the list prices in benchmarks/prices.json, from the measured calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PRICES = json.loads(Path(__file__).with_name("prices.json").read_text())
_SERVICE = {
    "dynamodb": "dynamodb",
    "sqs": "sqs",
    "ssm": "ssm",
    "events": "events",
    "ses": "ses",
    "sns": "sns",
}


def per_thousand(flow: dict[str, Any], warm: dict[str, Any] | None) -> dict[str, Any]:
    p, a = PRICES, PRICES["assumptions"]
    calls = flow["_calls"]
    own_ms = {
        "WebhookFunction": (warm or {}).get("webhook", {}).get("median_ms", 2.0),
        "IntakeFunction": (warm or {}).get("intake_message", {}).get("median_ms", 5.0),
        "PublisherFunction": (warm or {}).get("publisher_record", {}).get("median_ms", 2.0),
        "NotifierFunction": (warm or {}).get("notifier_event", {}).get("median_ms", 3.0),
        "FulfilmentFunction": (warm or {}).get("fulfilment_event", {}).get("median_ms", 10.0),
    }
    lines: dict[str, float] = {}
    gb = a["memory_mb"] / 1024
    invocations = flow["invocations"]
    gb_seconds = 0.0
    for function, count in invocations.items():
        latency = sum(a["aws_call_latency_ms"].get(c.service, 20) for c in calls if c.caller == function)
        duration_ms = own_ms.get(function, 3.0) * count + latency
        gb_seconds += gb * duration_ms / 1000
    lines["Lambda compute (arm64)"] = gb_seconds * p["lambda"]["arm64_gb_second"]
    lines["Lambda requests"] = sum(invocations.values()) * p["lambda"]["request"]
    units = flow["dynamodb_units"]
    lines["DynamoDB writes"] = units["write_units"] * p["dynamodb_on_demand"]["write_request_unit"]
    lines["DynamoDB reads"] = units["read_units"] * p["dynamodb_on_demand"]["read_request_unit"]
    sqs_requests = [c for c in calls if c.service == "sqs"]
    fifo = sum(1 for c in sqs_requests if ".fifo" in str(c.params.get("QueueUrl", "")))
    lines["SQS"] = fifo * p["sqs"]["fifo_request"] + (len(sqs_requests) - fifo) * p["sqs"]["standard_request"]
    lines["EventBridge events"] = flow["eventbridge_events"] * p["eventbridge"]["custom_event"]
    lines["EventBridge archive"] = flow["eventbridge_events"] * 1024 / 1e9 * p["eventbridge"]["archive_gb"]
    lines["HTTP API"] = p["http_api"]["request"] * flow.get("http_requests", 1)
    ssm = sum(1 for c in calls if c.service == "ssm")
    lines["SSM (standard parameters)"] = 0.0 * ssm
    lines["CloudWatch Logs"] = (
        sum(invocations.values()) * a["log_bytes_per_invocation"] / 1e9 * p["cloudwatch_logs"]["ingested_gb"]
    )
    lines["X-Ray traces"] = len(invocations) * a["xray_sampled_fraction"] * p["xray"]["trace_recorded"]
    alerts = flow["alerts"]
    lines["SNS alerts"] = alerts * (p["sns"]["publish_request"] + p["sns"]["email_delivery"])
    infrastructure = sum(lines.values())
    email = flow["emails"] * p["ses"]["email"]
    sms = p["sns"]["sms_us"]  # one shipping SMS per order when a store turns SMS on
    return {
        "per_1000_orders_usd": {k: round(v * 1000, 6) for k, v in lines.items()},
        "infrastructure_usd": round(infrastructure * 1000, 5),
        "email_usd": round(email * 1000, 5),
        "sms_usd_if_enabled": round(sms * 1000, 3),
        "total_with_email_usd": round((infrastructure + email) * 1000, 5),
    }


def combined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Stages of one order's life added up (SMS counted once: one shipping text per order)."""
    lines: dict[str, float] = {}
    for part in parts:
        for name, value in part["per_1000_orders_usd"].items():
            lines[name] = round(lines.get(name, 0.0) + value, 6)
    return {
        "per_1000_orders_usd": lines,
        "infrastructure_usd": round(sum(p["infrastructure_usd"] for p in parts), 5),
        "email_usd": round(sum(p["email_usd"] for p in parts), 5),
        "sms_usd_if_enabled": parts[0]["sms_usd_if_enabled"],
        "total_with_email_usd": round(sum(p["total_with_email_usd"] for p in parts), 5),
    }
