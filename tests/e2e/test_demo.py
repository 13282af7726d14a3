"""`make demo` tells what the stack has: the stock it reads and every message the demo made it send."""

from __future__ import annotations

import re

import pytest

from oms_local.demo import SHOWN, Target, _outbox, run
from oms_local.runner import Running


def test_the_demo_states_the_stock_it_reads_and_counts_every_email_and_alert_it_caused(
    local: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    target = Target(local.api_url, local.admin_token, local.moto.endpoint, local.channels.url)
    _, black = local.request("GET", "/stock/IPOD2008BLACK")
    emails_before, alerts_before = (len(x) for x in _outbox(target))

    assert run(target, colour=False) == 0
    out = capsys.readouterr().out

    have = black["available"]
    assert f"Shopify order for {have + 2} x IPOD2008BLACK ({have} available)" in out
    emails, alerts = _outbox(target)
    for kind, total in (
        ("Emails sent (SES)", len(emails) - emails_before),
        ("Staff alerts (SNS)", len(alerts) - alerts_before),
    ):
        assert total > 0
        heading = f"{kind} ({total}):" if total <= SHOWN else f"{kind} (showing the last {SHOWN} of {total}):"
        assert heading in out
        listed = out.split(heading, 1)[1].strip("\n").split("\n\n", 1)[0].splitlines()
        assert len(listed) == min(total, SHOWN)
    assert re.search(r"The retried webhook made 1 order", out)
    assert "2 more IPOD2008BLACK counted in at wh-east" in out
    released = out.split("released by itself", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"on_hold -> confirmed +out_of_stock resolved", released)
    after_sale = out.split("After the sale", 1)[1].split("Emails sent", 1)[0]
    for done in (
        r"edit: add 1 x IPOD2008GREEN at 199\.00 \(POST \.\.\./edits\) +200",
        r"the order is worth 199\.00 more",
        r"cancel 1 x WOO-SINGLE and refund it \(POST \.\.\./cancel\) +200",
        r"refund 12\.45 USD recorded as manual",
        r"refund 1 x Bar3 that came back, restocked +201",
        r"fulfilling -> partially_refunded +refund demo-cancel-\d+-refund of 12\.45 USD \(manual\)",
    ):
        assert re.search(done, after_sale), (done, after_sale)
    before, after = re.search(r"Bar3 on hand at wh-west: (\d+) -> (\d+)", after_sale).groups()  # type: ignore[union-attr]
    assert int(after) == int(before) + 1
    # A customer returned an item on the public page, alone, to its refund on receipt.
    returned = out.split("A self-service return", 1)[1].split("Every channel sees", 1)[0]
    for done in (
        r"customer: order number \+ email \(POST /returns/start\) +200 iPod Nano - 8GB green \(up to 1\)",
        r"customer: 1 x size_or_fit +201 approved",
        r"label SBX\w+: https://sandbox-post\.example/labels/",
        r"the tracking poller saw the parcel's first scan: return in_transit",
        r"warehouse: 1 back on the shelf \(POST /returns/\{id\}/receive\) +200",
        r"refunded 199\.00 USD on receipt; return closed",
    ):
        assert re.search(done, returned), (done, returned)
    first, then = re.search(r"IPOD2008GREEN on hand at wh-west: (\d+) -> (\d+)", returned).groups()  # type: ignore[union-attr]
    assert int(then) == int(first) + 1
    # A WooCommerce order took the last unit: the emulated Shopify store was told it has none left.
    in_sync = out.split("Every channel sees the stock we know", 1)[1].split("Emails sent", 1)[0]
    assert re.search(r"Shopify shows 1, WooCommerce shows 1 \(set by the OMS\)", in_sync), in_sync
    assert re.search(r"Shopify now shows 0 x SYNC-MUG-\d+, [\d.]+ s after the WooCommerce order", in_sync), (
        in_sync
    )
