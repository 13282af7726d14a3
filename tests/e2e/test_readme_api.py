"""The README's "Use the API" lines work as written, pasted into a shell against `make run`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oms_local.cloud import ROOT
from oms_local.runner import wait_for
from tests.e2e.test_console import BANNER_END, Console

# Pasted by a person, each line runs after the one before has visibly finished (an order posted is
# allocated a moment later): the shell here retries a call that failed until it succeeds, for up to
# two minutes (the stack may still be working through an earlier test's burst of orders), and stops
# at the first that never does.
PRELUDE = r"""
set -euo pipefail
curl() {
  local out
  for _ in $(seq 600); do
    if out=$(command curl -sS --fail-with-body "$@"); then printf '%s\n' "$out"; return 0; fi
    sleep 0.2
  done
  echo "never succeeded: curl $* -> $out" >&2
  return 1
}
"""


class Stack:
    """`make run` in a process of its own, as a newcomer starts it (its facts file says where)."""

    def __init__(self, facts: Path) -> None:
        self.console = Console(facts)
        self.console.wait_for_line(BANNER_END, 180)
        data = json.loads(facts.read_text())
        self.api_url, self.admin_token = str(data["api_url"]), str(data["admin_token"])

    def request(self, method: str, path: str) -> tuple[int, Any]:
        req = urllib.request.Request(f"{self.api_url}{path}", method=method)
        req.add_header("authorization", f"Bearer {self.admin_token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: the README's lines are for a newcomer's stack, not one other tests have
    loaded (after the 200-order burst test a phone order placed on the shared stack was not
    allocated within two minutes: see the closing note)."""
    stack = Stack(tmp_path_factory.mktemp("readme") / "facts.json")
    try:
        yield stack
    finally:
        try:
            stack.console.ctrl_c()
        except subprocess.TimeoutExpired:  # still finishing the work it was given: stop it hard
            os.killpg(stack.console.process.pid, signal.SIGKILL)
            stack.console.process.wait(timeout=30)


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use the API", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's Use the API section has no sh block"
    return match.group(1)


def test_the_readmes_api_calls_place_pick_ship_cancel_and_allocate_orders_on_the_local_stack(
    fresh: Stack,
) -> None:
    local = fresh
    block = readme_block()
    for line in ("API=http://127.0.0.1:3000\n", "TOKEN=$(python3 -c "):
        assert line in block
    script = PRELUDE + block.replace("API=http://127.0.0.1:3000", f"API={local.api_url}").replace(
        'TOKEN=$(python3 -c \'import json; print(json.load(open(".oms-local.json"))["admin_token"])\')',
        f"TOKEN={local.admin_token}",
    )
    assert f"TOKEN={local.admin_token}" in script
    done = subprocess.run(  # noqa: S603 - the README's own lines
        ["/bin/bash", "-c", script], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    phone_1 = local.request("GET", "/orders/demo-woo.PHONE-1")[1]
    # its second mug came back through a return, counted in and refunded on receipt (the receipt
    # put it on the shelf, so its refund restocks nothing again)
    assert phone_1["status"] == "refunded"
    refund, returned = phone_1["refunds"]
    assert (returned["status"], returned["total"]["amount"], returned["lines"][0]["restocked"]) == (
        "manual",
        "12.50",
        0,
    )
    _, ret = local.request("GET", "/returns/demo-woo.PHONE-1-R1")
    assert (ret["status"], ret["label"] is not None, [x["received"] for x in ret["lines"]]) == (
        "closed",
        True,
        [1],
    )
    assert (refund["refund_id"], refund["status"], refund["total"]["amount"]) == (
        "phone-1-refund-1",
        "manual",
        "12.50",
    )
    assert refund["lines"][0]["restocked"] == 1
    assert wait_for(lambda: local.request("GET", "/jobs/wave-pm")[1]["status"] == "done", 60)
    assert [r["outcome"] for r in local.request("GET", "/jobs/wave-pm")[1]["results"]] == ["succeeded"] * 2
    assert local.request("GET", "/orders/demo-woo.PHONE-1")[1]["tags"] == ["gift", "wave-pm"]
    assert wait_for(
        lambda: (
            [o["order_id"] for o in local.request("GET", "/orders?q=tag:gift")[1]["orders"]]
            == ["demo-woo.PHONE-1"]
        ),
        30,
    )
    assert local.request("GET", "/orders/demo-woo.PHONE-2")[1]["tags"] == ["wave-pm"]
    assert wait_for(lambda: local.request("GET", "/exports/export-woo-1")[1]["status"] == "ready", 60)
    with urllib.request.urlopen(local.request("GET", "/exports/export-woo-1")[1]["url"], timeout=30) as got:
        sheet = got.read().decode("utf-8-sig")
    assert sheet.splitlines()[0].startswith("order_id,number,status")
    assert sum("demo-woo.PHONE-" in row for row in sheet.splitlines()) >= 2
    found = local.request("GET", "/orders?q=ADA@example.com")[1]["orders"]
    assert sorted(o["order_id"] for o in found) == ["demo-woo.PHONE-1", "demo-woo.PHONE-2"]
    assert [(n["note_id"], n["text"]) for n in phone_1["notes"] if n.get("note_id")] == [
        ("phone-1-note-1", "Customer asked for a gift receipt")
    ]
    assert wait_for(
        # still to ship, its cancelled unit refunded (fulfilment carries on from partially_refunded)
        lambda: local.request("GET", "/orders/demo-woo.PHONE-2")[1]["status"] == "partially_refunded",
        120,
    )
    _, shipments = local.request("GET", "/orders/demo-woo.PHONE-2/shipments")
    assert {s["shipment_id"]: s["status"] for s in shipments["shipments"]} == {
        "demo-woo.PHONE-2-S1": "cancelled",
        "demo-woo.PHONE-2-S2": "pending",
    }
    assert [s["quantity"] for s in shipments["shipments"][1]["lines"]] == [1]
    phone_2 = local.request("GET", "/orders/demo-woo.PHONE-2")[1]
    assert phone_2["cancelled_quantities"] == {"1": 1}
    assert [r["total"]["amount"] for r in phone_2["refunds"]] == ["12.50"]
    _, stock = local.request("GET", "/stock/MUG-BLUE")
    # 40 - 2 shipped + 1 restocked by the refund + 1 by the return; 1 to ship
    assert (stock["on_hand"], stock["reserved"]) == (40, 1)
