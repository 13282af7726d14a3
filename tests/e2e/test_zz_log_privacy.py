"""Runs after the other end-to-end tests (file order), over every log line the local stack's
functions wrote while orders from the real fixtures went from webhook to completed: no customer
email, phone number, name or street address, and no secret, appears in any of them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from oms_local.runner import Running
from oms_local.samples import fixture
from oms_local.seed import STORES
from tests.e2e.conftest import Captured

pytestmark = pytest.mark.e2e
PII_KEYS = {
    "email",
    "contact_email",
    "phone",
    "first_name",
    "last_name",
    "address1",
    "address2",
    "address_1",
    "address_2",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w.:-])(\+?1[ -]?)?\(?\d{3}\)?[ -]\d{3}-\d{4}(?![\w-])|\+\d{10,14}(?!\d)")


def personal_values() -> set[str]:
    found: set[str] = set()

    def walk(value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in PII_KEYS and len(value) > 2:
            found.add(value)

    for name in ("shopify/orders-create.json", "shopify/orders-create-recent.json", "woocommerce/order.json"):
        walk(fixture(name))
    return found


def test_no_personal_data_or_secret_in_any_log_line(local: Running, logs: Captured) -> None:
    lines = [line for _, line in logs.lines]
    functions = {function.split("#")[0] for function, _ in logs.lines}  # "Intake#2": a second worker
    # The run this scans: every step of an order's life wrote logs.
    assert {"Webhook", "Intake", "Publisher", "Notifier", "Fulfilment", "ChannelSync"} <= functions
    assert {"TrackingPoller", "OrderCompleter", "FulfilmentApi"} <= functions
    assert any("demo-shopify.450789469" in line for line in lines)
    secrets = {str(s["webhook_secret"]) for s in STORES} | {local.admin_token}
    # The scan finds what it looks for (a planted line of each kind).
    planted = [
        ("x", '{"customer": "bob.norman@hostmail.com"}'),
        ("x", '{"ship_to": "Chestnut Street 92"}'),
        ("x", '{"note": "call (555) 555-5555"}'),
        ("x", f'{{"secret": "{sorted(secrets)[0]}"}}'),
    ]
    assert len(leaks_in(planted, secrets)) == len(planted)
    leaks = leaks_in(logs.lines, secrets)
    assert not leaks, json.dumps(leaks[:10], indent=1)


def leaks_in(lines: list[tuple[str, str]], secrets: set[str]) -> list[tuple[str, str, str]]:
    leaks = []
    values = personal_values() | secrets
    for function, line in lines:
        found = [v for v in values if re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", line)]
        found += [m.group(0) for p in (EMAIL, PHONE) if (m := p.search(line)) and not _ours(m.group(0))]
        if found:
            leaks.append((function, found[0], line[:200]))
    return leaks


def _ours(text: str) -> bool:
    """Addresses of the deployment itself (sender, alerts), not of customers."""
    return text.endswith("@demo-shop.example")
