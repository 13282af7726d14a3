"""A tour of the admin API on a fresh local stack: the requests a merchant makes in their first
hour, in order, each with the answer it gets.

``make docs`` records the tour (``--record``) and writes each operation's first request and answer
into docs/openapi.json as its example. tests/e2e/test_api_examples.py replays it (``--replay``): the
documented requests, taken from docs/openapi.json, sent to a fresh stack, must get the documented
status and body (times aside: they are the only thing that differs between runs).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "openapi.json"

STORE = "example-shop"
LOCATION = "wh-example"
SECRET = "example-shop-webhook-secret-for-docs"  # noqa: S105 - the docs' own example store
SHOP_DOMAIN = "example-shop.myshopify.com"
MUG, TEE = "EX-MUG", "EX-TEE"
FIRST, SECOND = f"{STORE}.EX-1001", f"{STORE}.EX-1002"
WEBHOOK_ORDER = f"{STORE}.1073459981"  # shopify/orders-create-recent.json
VARIANT = "v447654529"
ERP_SUBSCRIPTION = "sub_" + hashlib.sha256(b"erp-1").hexdigest()[:20]  # made from its Idempotency-Key

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "city": "Toronto",
    "province_code": "ON",
    "postal_code": "M5V 2T6",
    "country_code": "CA",
    "phone": "+1 416 555 0100",
}


def manual_order(reference: str) -> dict[str, Any]:
    return {
        "store_id": STORE,
        "reference": reference,
        "currency": "USD",
        "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": ADDRESS,
        "lines": [
            {"sku": MUG, "name": "Enamel mug", "quantity": 2, "unit_price": "12.50"},
            {"sku": TEE, "name": "Logo tee (M)", "quantity": 1, "unit_price": "20.00"},
        ],
        "shipping": {"title": "Standard", "price": "5.00"},
        "tax": "3.60",
        "source": "phone",
    }


def _status(wanted: str) -> Callable[[Any], bool]:
    return lambda body: isinstance(body, dict) and body.get("status") == wanted


@dataclass(frozen=True)
class Step:
    """One request of the tour. ``until`` polls a GET until its answer says the async work settled;
    ``document``: this request is the operation's example (the first of each operation is, unless
    it says otherwise)."""

    operation: str  # "METHOD /path/{param}", or "WEBHOOK shopify" for a signed channel delivery
    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    until: Callable[[Any], bool] | None = None
    document: bool = True
    summary: str = ""

    @property
    def method(self) -> str:
        return self.operation.split(" ", 1)[0]

    @property
    def template(self) -> str:
        return self.operation.split(" ", 1)[1]

    def path(self, params: dict[str, str] | None = None) -> str:
        values = self.params if params is None else params
        path = re.sub(r"\{(\w+)\}", lambda m: urllib.parse.quote(values[m.group(1)], safe=""), self.template)
        query = self.query
        return f"{path}?{urllib.parse.urlencode(query)}" if query else path


S1, S2, S3 = f"{FIRST}-S1", f"{SECOND}-S1", f"{SECOND}-S2"
R1 = f"{FIRST}-R1"
SR1, SR2, SR3 = f"{SECOND}-R1", f"{SECOND}-R2", f"{SECOND}-R3"
_HOUR_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
RECONCILE_SINCE, RECONCILE_UNTIL = (_HOUR_AGO - timedelta(hours=1)).isoformat(), _HOUR_AGO.isoformat()
TOUR: tuple[Step, ...] = (
    Step(
        "PUT /locations/{location_id}",
        {"location_id": LOCATION},
        body={
            "name": "Example warehouse",
            "country_code": "US",
            "ships_to": ["US", "CA"],
            "address": {
                "company": "Example Shop",
                "line1": "1 Dock Street",
                "city": "Buffalo",
                "province_code": "NY",
                "postal_code": "14201",
                "country_code": "US",
            },
        },
    ),
    Step("GET /locations"),
    Step("GET /me"),
    Step("GET /dashboard", query={"late_after_hours": "48"}),
    Step(
        "POST /stores",
        body={
            "store_id": STORE,
            "channel": "shopify",
            "name": "Example shop",
            "webhook_secret": SECRET,
            "shop_domain": SHOP_DOMAIN,
            "settings": {"location_priority": [LOCATION]},
        },
        status=201,
    ),
    Step("GET /stores"),
    Step("GET /stores/{store_id}", {"store_id": STORE}),
    Step("PATCH /stores/{store_id}", {"store_id": STORE}, body={"name": "Example Shop"}),
    Step("PUT /stock/{sku}", {"sku": MUG}, body={"locations": [{"location": LOCATION, "on_hand": 40}]}),
    Step(
        "PUT /stock/{sku}",
        {"sku": TEE},
        body={"locations": [{"location": LOCATION, "on_hand": 25}]},
    ),
    Step("GET /stock"),
    Step("GET /stock/{sku}", {"sku": MUG}),
    # A phone order: accepted, then confirmed and allocated by the pipeline.
    Step("POST /orders", body=manual_order("EX-1001"), status=202),
    Step("GET /orders/{order_id}", {"order_id": FIRST}, until=_status("fulfilling")),
    Step("GET /orders", query={"status": "fulfilling"}),
    Step(
        "POST /orders/{order_id}/notes",
        {"order_id": FIRST},
        body={"text": "Customer asked for a gift receipt", "visibility": "internal"},
        headers={"idempotency-key": "note-EX-1001-1"},
        status=201,
    ),
    Step("POST /orders/{order_id}/tags", {"order_id": FIRST}, body={"add": ["gift"]}),
    Step("GET /orders/{order_id}/shipments", {"order_id": FIRST}),
    Step(
        "POST /jobs",
        body={"action": "add_tag", "order_ids": [FIRST, f"{STORE}.404"], "params": {"tag": "wave-1"}},
        headers={"idempotency-key": "job-wave-1"},
        status=202,
    ),
    Step("GET /jobs/{job_id}", {"job_id": "job-wave-1"}, until=lambda a: a.get("status") == "done"),
    # the order that was not there (a typo): run again once it is fixed; here it fails again
    Step("POST /jobs/{job_id}/retry", {"job_id": "job-wave-1"}, status=202),
    # the day's confirmed orders as a spreadsheet: written by the jobs worker, then a presigned URL
    Step(
        "POST /exports",
        body={"filter": {"store": STORE, "status": "fulfilling"}, "granularity": "line"},
        headers={"idempotency-key": "export-EX-day-1"},
        status=202,
    ),
    Step(
        "GET /exports/{export_id}",
        {"export_id": "export-EX-day-1"},
        until=lambda a: a.get("status") == "ready",
    ),
    Step("GET /shipments", query={"location": LOCATION, "status": "pending"}),
    Step("GET /shipments/{shipment_id}", {"shipment_id": S1}),
    # The warehouse: pick, pack, label, ship; the carrier's delivery.
    Step("GET /shipments/{shipment_id}/pick-list", {"shipment_id": S1}),
    Step("POST /shipments/{shipment_id}/pack", {"shipment_id": S1}),
    Step("GET /shipments/{shipment_id}/packing-slip", {"shipment_id": S1}),
    Step("GET /shipments/{shipment_id}/rates", {"shipment_id": S1}),
    Step("POST /shipments/{shipment_id}/label", {"shipment_id": S1}, body={"service": "ground"}, status=201),
    Step("POST /shipments/{shipment_id}/ship", {"shipment_id": S1}),
    Step("POST /shipments/{shipment_id}/delivered", {"shipment_id": S1}),
    # The mug arrived chipped: one refunded and put back on the shelf; the refunds so far.
    Step(
        "POST /orders/{order_id}/refunds",
        {"order_id": FIRST},
        body={"lines": [{"line_id": "1", "quantity": 1, "restock": True}], "reason": "arrived chipped"},
        headers={"idempotency-key": "refund-EX-1001-1"},
        status=201,
    ),
    Step("GET /orders/{order_id}/refunds", {"order_id": FIRST}),
    # The other mug comes back (a gift they had already): what may come back, the return, its
    # label, the warehouse counting it in, its refund on receipt (less the label: the customer's
    # reason pays its own shipping). The tee arrived torn: sent again free, no return needed.
    Step("GET /orders/{order_id}/returns", {"order_id": FIRST}),
    Step(
        "POST /orders/{order_id}/returns",
        {"order_id": FIRST},
        body={
            "lines": [{"line_id": "1", "quantity": 1, "reason": "changed_mind", "note": "a duplicate gift"}]
        },
        headers={"idempotency-key": "return-EX-1001-1"},
        status=201,
    ),
    Step("GET /returns", query={"status": "requested"}),
    Step("POST /returns/{return_id}/approve", {"return_id": R1}, body={"label": "carrier"}),
    Step(
        "POST /returns/{return_id}/receive",
        {"return_id": R1},
        body={"lines": [{"line_id": "1", "quantity": 1, "disposition": "restock"}]},
    ),
    Step("GET /returns/{return_id}", {"return_id": R1}),
    Step("POST /returns/{return_id}/refund", {"return_id": R1}),  # refunded already: answered as it stands
    Step(
        "POST /orders/{order_id}/claims",
        {"order_id": FIRST},
        body={
            "lines": [{"line_id": "2", "quantity": 1}],
            "type": "damaged_in_transit",
            "resolution": "reship",
            "evidence_urls": ["https://photos.example.com/torn-tee.jpg"],
        },
        headers={"idempotency-key": "claim-EX-1001-1"},
        status=201,
    ),
    # A second order whose shipment staff cancel, allocate again and ship with their own carrier.
    Step("POST /orders", body=manual_order("EX-1002"), status=202, document=False),
    Step("GET /orders/{order_id}", {"order_id": SECOND}, until=_status("fulfilling"), document=False),
    Step(
        "POST /shipments/{shipment_id}/cancel",
        {"shipment_id": S2},
        body={"reason": "the customer will collect it"},
    ),
    Step("GET /orders/{order_id}", {"order_id": SECOND}, until=_status("on_hold"), document=False),
    Step("POST /orders/{order_id}/allocate", {"order_id": SECOND}, status=201),
    # The customer wants a third mug, and the parcel sent to their office instead.
    Step(
        "POST /orders/{order_id}/edits",
        {"order_id": SECOND},
        body={
            "add": [{"sku": MUG, "quantity": 1}],
            "shipping_address": {**ADDRESS, "line1": "1 Office Park", "company": "Analytical Engines Ltd"},
        },
        headers={"idempotency-key": "edit-EX-1002-1"},
    ),
    # The customer no longer wants the tee: that line is cancelled and refunded before it ships.
    Step(
        "POST /orders/{order_id}/cancel",
        {"order_id": SECOND},
        body={"reason": "customer", "lines": [{"line_id": "2"}], "refund": True},
        headers={"idempotency-key": "cancel-EX-1002-tee"},
    ),
    Step(
        "POST /shipments/{shipment_id}/tracking",
        {"shipment_id": S3},
        body={
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        },
        status=201,
    ),
    Step("POST /shipments/{shipment_id}/ship", {"shipment_id": S3}, document=False),
    # Returns of the second order: a mug exchanged for a tee (the customer pays the difference, then
    # the tee ships once the mug is back), another declined, a third cancelled by the customer.
    Step(
        "POST /orders/{order_id}/returns",
        {"order_id": SECOND},
        body={
            "lines": [{"line_id": "1", "quantity": 1, "reason": "size_or_fit"}],
            "exchange": [{"sku": TEE, "quantity": 1, "unit_price": "20.00"}],
        },
        status=201,
        document=False,
    ),
    Step("POST /returns/{return_id}/approve", {"return_id": SR1}, body={"label": "none"}, document=False),
    Step("POST /returns/{return_id}/payment", {"return_id": SR1}, body={"reference": "payment link 4471"}),
    Step(
        "POST /orders/{order_id}/returns",
        {"order_id": SECOND},
        body={"lines": [{"line_id": "1", "quantity": 1, "reason": "changed_mind"}]},
        status=201,
        document=False,
    ),
    Step("POST /returns/{return_id}/decline", {"return_id": SR2}, body={"reason": "used: not resellable"}),
    Step(
        "POST /orders/{order_id}/returns",
        {"order_id": SECOND},
        body={"lines": [{"line_id": "1", "quantity": 1, "reason": "changed_mind"}]},
        status=201,
        document=False,
    ),
    Step("POST /returns/{return_id}/cancel", {"return_id": SR3}, body={"reason": "the customer kept it"}),
    # A Shopify order whose line has no SKU: held until the variant is mapped, then retried.
    Step("WEBHOOK shopify", status=202),
    Step("GET /orders/{order_id}", {"order_id": WEBHOOK_ORDER}, until=_status("on_hold"), document=False),
    Step("GET /stores/{store_id}/variants", {"store_id": STORE}),
    Step(
        "PUT /stores/{store_id}/variants/{variant_key}",
        {"store_id": STORE, "variant_key": VARIANT},
        body={"sku": MUG},
    ),
    Step("POST /orders/{order_id}/retry", {"order_id": WEBHOOK_ORDER}, status=202),
    Step("GET /orders/{order_id}", {"order_id": WEBHOOK_ORDER}, until=_status("fulfilling"), document=False),
    # Reconciliation: the store's record (none yet), then a window staff ask for once the store's
    # API token is saved (the recorded times are rebased, so the window stays in the past).
    Step("GET /stores/{store_id}/reconciliation", {"store_id": STORE}),
    Step("GET /stores/{store_id}/stock-sync", {"store_id": STORE}),
    Step(
        "PATCH /stores/{store_id}",
        {"store_id": STORE},
        body={"api_credentials": {"access_token": "shpat_example_token_0123"}},
        document=False,
    ),
    Step(
        "POST /stores/{store_id}/reconcile",
        {"store_id": STORE},
        body={"since": RECONCILE_SINCE, "until": RECONCILE_UNTIL},
        status=202,
    ),
    # Its catalogue: no sync yet, then one staff ask for (its pages are read after the answer).
    Step("GET /stores/{store_id}/catalog-sync", {"store_id": STORE}),
    Step("POST /stores/{store_id}/catalog-sync", {"store_id": STORE}, body={"repush": False}, status=202),
    # Personal data: a customer's orders as a file, then erased (any channel; Shopify also asks by
    # its compliance webhooks), each request followed until it is done.
    Step(
        "POST /privacy/data-requests",
        {},
        body={"store_id": STORE, "email": "ada@example.com"},
        headers={"idempotency-key": "data-ada-1"},
        status=202,
    ),
    Step(
        "GET /privacy/requests/{request_id}",
        {"request_id": "staff-data-ada-1"},
        until=lambda answer: answer.get("status") == "done",
        document=False,
    ),
    Step(
        "POST /privacy/redactions",
        {},
        body={"store_id": STORE, "email": "ada@example.com"},
        headers={"idempotency-key": "erase-ada-1"},
        status=202,
    ),
    Step(
        "GET /privacy/requests/{request_id}",
        {"request_id": "staff-erase-ada-1"},
        until=lambda answer: answer.get("status") == "done",
    ),
    # An ERP subscribes to the OMS's events (its secret is in this answer only), looks at its
    # subscription's health, asks for the last hour again, and unsubscribes.
    Step(
        "POST /subscriptions",
        {},
        body={
            "url": "https://erp.example.com/oms/events",
            "events": ["ShipmentException"],
            "description": "ERP",
        },
        headers={"idempotency-key": "erp-1"},
        status=201,
    ),
    Step("GET /subscriptions", {}),
    Step("GET /subscriptions/{subscription_id}", {"subscription_id": ERP_SUBSCRIPTION}),
    Step(
        "POST /subscriptions/{subscription_id}/replay",
        {"subscription_id": ERP_SUBSCRIPTION},
        body={"since": RECONCILE_SINCE, "until": RECONCILE_UNTIL},
        status=202,
    ),
    Step("DELETE /subscriptions/{subscription_id}", {"subscription_id": ERP_SUBSCRIPTION}),
    # The shop closes: every order's personal data erased, its secrets deleted (the last step).
    Step(
        "POST /stores/{store_id}/erase",
        {"store_id": STORE},
        body={"confirm": STORE},
        headers={"idempotency-key": "close-example-shop"},
        status=202,
    ),
)


def documented() -> Iterator[Step]:
    """The steps that are their operation's example: the first of each, unless marked otherwise."""
    seen: set[str] = set()
    for step in TOUR:
        if step.operation.startswith("WEBHOOK") or not step.document or step.operation in seen:
            continue
        seen.add(step.operation)
        yield step


def webhook_delivery() -> Any:
    from oms_local.samples import fixture, shopify_delivery

    payload = copy.deepcopy(fixture("shopify/orders-create-recent.json"))
    for line in payload["line_items"]:
        line["sku"] = ""  # a shop that never filled in SKUs
    return shopify_delivery(
        payload,
        store_id=STORE,
        secret=SECRET,
        shop_domain=SHOP_DOMAIN,
        event_id="98880550-7158-44d4-b7cd-2c97c8a091b5",
    )


SIGNED = re.compile(r"(Signature|Expires|AWSAccessKeyId|X-Amz-[A-Za-z-]+)=[^&\"]+")

# ---------------------------------------------------------------- times

SECRET_SHOWN = re.compile(r"whsec_[A-Za-z0-9_-]+")  # a subscription's secret: new on every run
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _walk(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, text) for v in value]
    if isinstance(value, str):
        return text(value)
    return value


def without_times(value: Any) -> Any:
    """The answer with every timestamp (also inside text) as ``<time>``: what a replay compares."""
    return _walk(value, lambda s: TIME.sub("<time>", s))


def rebased(examples: list[dict[str, Any]], base: str = "2026-03-02T09:00:00") -> list[dict[str, Any]]:
    """Every distinct time in the recorded answers, in order of first appearance, becomes base + n
    seconds: the document does not change between recordings, and equal times stay equal."""
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(base)
    seen: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        raw = match.group(0)
        if raw not in seen:
            at = start + timedelta(seconds=len(seen))
            seen[raw] = at.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if raw.endswith("Z") else "+00:00")
        return seen[raw]

    out: list[dict[str, Any]] = _walk(examples, lambda s: TIME.sub(replace, s))
    return out


# ---------------------------------------------------------------- running


class Tour:
    """The tour against a fresh local stack (no demo data, real time)."""

    def __init__(self) -> None:
        from oms_local.logs import LogPrinter
        from oms_local.runner import start

        self.running = start(port=0, seed_demo=False, printer=LogPrinter(stream=io.StringIO()))

    def close(self) -> None:
        self.running.close()

    def send(self, step: Step, request: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Send ``step`` (with the documented ``request`` when given); poll while ``until`` says
        the answer has not settled."""
        if step.operation.startswith("WEBHOOK"):
            delivery = webhook_delivery()
            return self.running.request(
                "POST", delivery.path, raw=delivery.body, headers=delivery.headers, token=""
            )
        params = step.params if request is None else request["params"]
        body = step.body if request is None else request.get("body")
        headers = step.headers if request is None else request.get("headers", {})
        path = Step(step.operation, params, step.query if request is None else request["query"]).path()
        deadline = time.monotonic() + 30
        while True:
            status, answer = self.running.request(step.method, path, body, headers=headers)
            if step.until is None or step.until(answer) or time.monotonic() > deadline:
                return status, self._public(answer)
            time.sleep(0.2)

    def _public(self, answer: Any) -> Any:
        """The answer as the docs show it: this run's ports as `make run`'s."""
        text = json.dumps(answer)
        text = text.replace(self.running.api_url, "http://127.0.0.1:3000")
        text = text.replace(self.running.moto.endpoint, "http://127.0.0.1:5000")
        # a presigned URL's signature and dates are this run's: the docs show where they go
        text = SIGNED.sub(r"\1=<signed>", text)
        text = SECRET_SHOWN.sub("whsec_<shown once>", text)
        return json.loads(text)


def record() -> list[dict[str, Any]]:
    """Run the tour; each documented step's request and answer, keyed by operation."""
    tour = Tour()
    examples: list[dict[str, Any]] = []
    wanted = {id(step) for step in documented()}
    try:
        for step in TOUR:
            status, answer = tour.send(step)
            if status != step.status:
                raise SystemExit(f"{step.operation}: expected {step.status}, got {status}: {answer}")
            if id(step) in wanted:
                examples.append(
                    {
                        "operation": step.operation,
                        "params": step.params,
                        "query": step.query,
                        "headers": step.headers,
                        "body": step.body,
                        "status": status,
                        "answer": answer,
                    }
                )
    finally:
        tour.close()
    return rebased(examples)


def examples_in(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The documented requests and answers of docs/openapi.json, keyed by operation."""
    found: dict[str, dict[str, Any]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            params: dict[str, dict[str, Any]] = {"params": {}, "query": {}, "headers": {}}
            where = {"path": "params", "query": "query", "header": "headers"}
            for parameter in operation.get("parameters", []):
                if "example" in parameter:
                    params[where[parameter["in"]]][parameter["name"]] = parameter["example"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            answers = {
                int(status): response["content"]["application/json"]["example"]
                for status, response in operation["responses"].items()
                if "example" in response.get("content", {}).get("application/json", {})
            }
            if not answers:
                continue
            ((status, answer),) = answers.items()
            found[f"{method.upper()} {path}"] = {
                **params,
                **({"body": body["example"]} if "example" in body else {}),
                "status": status,
                "answer": answer,
            }
    return found


def replay(document: dict[str, Any]) -> list[str]:
    """Replay the tour on a fresh stack, documented steps as docs/openapi.json has them; what differs."""
    examples = examples_in(document)
    problems = [
        f"{s.operation}: no example in docs/openapi.json" for s in documented() if s.operation not in examples
    ]
    wanted = {id(step) for step in documented()}
    tour = Tour()
    try:
        for step in TOUR:
            example = examples.get(step.operation) if id(step) in wanted else None
            status, answer = tour.send(step, example)
            expected = example["status"] if example else step.status
            if status != expected:
                problems.append(f"{step.operation}: expected {expected}, got {status}: {answer}")
                break  # the later steps build on this one
            if example and without_times(answer) != without_times(example["answer"]):
                problems.append(
                    f"{step.operation}: the answer differs from the documented one:\n"
                    f"  documented: {json.dumps(without_times(example['answer']), sort_keys=True)}\n"
                    f"  answered:   {json.dumps(without_times(answer), sort_keys=True)}"
                )
    finally:
        tour.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", action="store_true", help="print the recorded examples as JSON")
    mode.add_argument("--replay", action="store_true", help="replay docs/openapi.json's examples")
    args = parser.parse_args(argv)
    if args.record:
        json.dump(record(), sys.stdout, indent=2)
        print()
        return 0
    problems = replay(json.loads(SPEC.read_text()))
    for problem in problems:
        print(problem)
    print(f"{len(list(documented()))} documented operations replayed, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
