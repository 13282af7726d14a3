"""Write events/: one sample event per function and case, as AWS delivers them.

    python -m scripts.generate_events      (make events)

Webhook samples are signed with the demo stores' development secrets (oms_local.seed), so they
verify against the local stack and `sam local invoke`. They carry no X-Shopify-Triggered-At: a
fixed timestamp would fall out of the replay window a few hours after it was written.
events/manifest.json says which function each file is for and what it must answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oms_local.lambda_events import http_event
from oms_local.samples import (
    Delivery,
    fixture,
    shopify_delivery,
    shopify_order,
    woocommerce_delivery,
    woocommerce_order,
    woocommerce_ping,
)
from oms_local.seed import SHOPIFY_STORE, WOO_STORE

ROOT = Path(__file__).resolve().parents[1]
SHOP_SECRET = str(SHOPIFY_STORE["webhook_secret"])
WOO_SECRET = str(WOO_STORE["webhook_secret"])
CLAIMS = {"sub": "sample-staff-user", "client_id": "local-admin", "token_use": "id"}
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:oms-dev-intake.fifo"
WOO_ORDER = "demo-woo.727"  # the intake sample's WooCommerce order
WOO_SHIPMENT = f"{WOO_ORDER}-S1"


def _webhook(delivery: Delivery) -> dict[str, Any]:
    return http_event(
        "POST",
        delivery.path,
        route_key="POST /webhooks/{channel}/{store_id}",
        headers=delivery.headers,
        body=delivery.body,
        path_parameters={"channel": delivery.channel, "store_id": delivery.store_id},
        domain="abc123.execute-api.us-east-1.amazonaws.com",
        source_ip="23.227.38.65",
    )


def _admin(
    method: str,
    path: str,
    route: str,
    body: Any = None,
    params: dict[str, str] | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return http_event(
        method,
        path,
        route_key=f"{method} {route}",
        headers={
            "content-type": "application/json",
            "authorization": "Bearer <verified by API Gateway>",
            **(headers or {}),
        },
        body=json.dumps(body).encode() if body is not None else None,
        path_parameters=params,
        raw_query=query,
        jwt_claims=CLAIMS,
        jwt_scopes=None,
        domain="abc123.execute-api.us-east-1.amazonaws.com",
    )


def _intake_record(delivery: Delivery, topic: str, n: int) -> dict[str, Any]:
    body = delivery.body.decode()
    order_id = json.loads(body)["id"]
    return {
        "messageId": f"7b1e6c5e-0000-4000-8000-00000000000{n}",
        "receiptHandle": f"sample-receipt-handle-{n}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795315673873",
            "SenderId": "AROAEXAMPLE:webhook",
            "ApproximateFirstReceiveTimestamp": "1795315673900",
            "SequenceNumber": f"1880000000000000000{n}",
            "MessageGroupId": f"{delivery.store_id}.{order_id}",
            "MessageDeduplicationId": f"sample-{n}",
        },
        "messageAttributes": {
            name: {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
            for name, value in {
                "channel": delivery.channel,
                "store_id": delivery.store_id,
                "topic": topic,
                "event_id": f"sample-event-{n}",
                "received_at": "2026-11-22T02:00:00Z",
            }.items()
        },
        "md5OfBody": "sample",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def _bus_event(detail_type: str, detail: dict[str, Any], source: str = "oms.orders") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "0d3f1c8e-6a3e-4b8e-9c6e-sample",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-22T02:00:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def _sqs_of(events: list[dict[str, Any]], queue: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"sample-{i}",
                "receiptHandle": f"sample-{i}",
                "body": json.dumps(e),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795315673873",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795315673900",
                },
                "messageAttributes": {},
                "md5OfBody": "sample",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
                "awsRegion": "us-east-1",
            }
            for i, e in enumerate(events)
        ]
    }


def _scheduled(time: str, rule: str) -> dict[str, Any]:
    """What an EventBridge schedule delivers to its function."""
    return {
        "version": "0",
        "id": f"5a3e1f0c-0000-4000-8000-{rule[:12].ljust(12, '0')}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/oms-dev-{rule}"],
        "detail": {},
    }


def _order_written(payload: dict[str, Any], store_id: str) -> dict[str, Any]:
    """A stream record of an order's item as the intake first writes it (its document included)."""
    from oms.channels.incoming import normalise
    from oms.data.order_repository import order_item
    from oms.intake_rules import decide
    from oms.models import OrderSnapshot
    from oms.order_changes import Actor
    from oms_local.lambda_events import stream_record

    at = datetime(2026, 11, 22, 2, 0, 1, tzinfo=UTC)
    incoming = normalise("shopify", "orders/create", payload, store_id=store_id, received_at=at)
    assert isinstance(incoming, OrderSnapshot)
    change = decide(None, incoming, Actor("shopify:orders/create", "sample", at))
    assert change is not None
    assert change.order is not None
    item = order_item(change.order.order, [])
    record = {
        "eventID": "a87ff679a2f3e71d9181a67b7542122c",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795315681,
            "Keys": {"PK": item["PK"], "SK": item["SK"]},
            "NewImage": item,
            "SequenceNumber": "4400000000000000000000001",
            "SizeBytes": 1800,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    return stream_record(
        record, "arn:aws:dynamodb:us-east-1:123456789012:table/oms-dev/stream/2026-11-22T00:00:00.000"
    )


def _shipment_detail(shipment_id: str, order_id: str, status: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": f"{shipment_id}:3:1",
        "shipment_id": shipment_id,
        "order_id": order_id,
        "store_id": order_id.split(".")[0],
        "channel": "woocommerce",
        "number": "727",
        "location": "wh-west",
        "status": status,
        "previous_status": "packed",
        "carrier": "Sandbox Post",
        "service": "ground",
        "tracking_number": "SBXD030000000001",
        "tracking_url": "https://sandbox-post.example/track/SBXD030000000001",
        "lines": [{"line_id": "1", "sku": "Bar3", "quantity": 1}],
        "occurred_at": "2026-11-22T02:30:00Z",
    }


FORGED_LINK = "ZGVtby1zaG9waWZ5LjEwMDE6MQ." + "A" * 24  # demo-shopify.1001, offer 1, a made-up MAC
# Where the custom resource sample sends CloudFormation's reply (tests/integration/test_events_dir.py
# listens there while the samples run).
REPLY_URL = "http://127.0.0.1:48213/cloudformation-reply"
ACCOUNT = "123456789012"
PUBLISHER_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:oms-dev-AdminAppPublisher"


def samples() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """file -> (event, expectation). Expectations: {"status": n} for HTTP, {"failures": n} for
    batches, {"result_keys": [...]} for scheduled functions (what they report)."""
    created = shopify_delivery(
        shopify_order(1001, skus={"IPOD2008GREEN": 1, "IPOD2008RED": 1}),
        store_id="demo-shopify",
        secret=SHOP_SECRET,
        event_id="sample-shopify-1001",
    )
    woo_payload = woocommerce_order(727, skus={"Bar3": 1, "WOO-SINGLE": 2})
    woo = woocommerce_delivery(woo_payload, store_id="demo-woo", secret=WOO_SECRET)
    cancelled = shopify_delivery(
        fixture("shopify/orders-cancelled.json"),
        store_id="demo-shopify",
        secret=SHOP_SECRET,
        topic="orders/cancelled",
        event_id="sample-cancel",
    )
    forged = created.with_headers(x_shopify_hmac_sha256="c2lnbmVkIHdpdGggdGhlIHdyb25nIGtleQ==")
    unknown = shopify_delivery(shopify_order(1002), store_id="not-registered", secret=SHOP_SECRET)
    order_detail = {
        "schema_version": 1,
        "event_id": "demo-shopify.1001:1:1",
        "order_id": "demo-shopify.1001",
        "store_id": "demo-shopify",
        "channel": "shopify",
        "channel_order_id": "1001",
        "number": "#1001",
        "status": "confirmed",
        "previous_status": "placed",
        "reason": "payment paid",
        "actor": "shopify:orders/create",
        "source_event": "sample-shopify-1001",
        "hold": None,
        "total": {"amount": "409.94", "currency": "USD"},
        "lines": [{"sku": "IPOD2008GREEN", "quantity": 1}, {"sku": "IPOD2008RED", "quantity": 1}],
        "occurred_at": "2026-11-22T02:00:01Z",
        "tracking": [],
    }
    on_hold = {
        **order_detail,
        "event_id": "demo-shopify.1003:1:1",
        "order_id": "demo-shopify.1003",
        "status": "on_hold",
        "reason": "out_of_stock",
        "hold": {
            "reason": "out_of_stock",
            "note": None,
            "short_lines": [{"sku": "IPOD2008BLACK", "requested": 3, "available": 1}],
        },
    }
    stream = {
        "Records": [
            {
                "eventID": "c4ca4238a0b923820dcc509a6f75849b",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1795315674,
                    "Keys": {"PK": {"S": "ORDER#demo-shopify.1001"}, "SK": {"S": "ORDER"}},
                    "NewImage": {
                        "PK": {"S": "ORDER#demo-shopify.1001"},
                        "SK": {"S": "ORDER"},
                        "entity": {"S": "order"},
                        "outbox": {
                            "L": [
                                {
                                    "M": {
                                        "id": {"S": "demo-shopify.1001:1:1"},
                                        "source": {"S": "oms.orders"},
                                        "type": {"S": "OrderConfirmed"},
                                        "occurred_at": {"S": "2026-11-22T02:00:01Z"},
                                        "detail": {
                                            "M": {
                                                "order_id": {"S": "demo-shopify.1001"},
                                                "status": {"S": "confirmed"},
                                            }
                                        },
                                    }
                                }
                            ]
                        },
                    },
                    "SequenceNumber": "1100000000017454423009",
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": (
                    "arn:aws:dynamodb:us-east-1:123456789012:table/oms-OmsTable/stream/2026-11-22T00:00:00.000"
                ),
            }
        ]
    }
    manual = {
        "store_id": "demo-shopify",
        "reference": "PHONE-0001",
        "currency": "USD",
        "customer": {"first_name": "Sam", "last_name": "Sample", "email": "sam@example.com"},
        "shipping_address": {
            "name": "Sam Sample",
            "line1": "1 Sample St",
            "city": "Springfield",
            "postal_code": "12345",
            "country_code": "US",
        },
        "lines": [
            {"sku": "IPOD2009BLACK", "name": "iPod Touch 8GB - Black", "quantity": 1, "unit_price": "199.00"}
        ],
        "shipping": {"title": "Courier", "price": "9.00"},
        "tax": "0.00",
        "payment_status": "paid",
        "source": "phone",
    }
    return {
        "webhook/shopify-orders-create.json": (_webhook(created), {"status": 202}),
        "webhook/shopify-orders-cancelled.json": (_webhook(cancelled), {"status": 202}),
        "webhook/woocommerce-order-created.json": (_webhook(woo), {"status": 202}),
        "webhook/woocommerce-ping.json": (_webhook(woocommerce_ping("demo-woo")), {"status": 200}),
        "webhook/forged-signature.json": (_webhook(forged), {"status": 401}),
        "webhook/unknown-store.json": (_webhook(unknown), {"status": 404}),
        "intake/sqs-shopify-and-woocommerce.json": (
            {
                "Records": [
                    _intake_record(created, "orders/create", 1),
                    _intake_record(woo, "order.created", 2),
                ]
            },
            {"failures": 0},
        ),
        "publisher/stream-order-confirmed.json": (stream, {"failures": 0}),
        "search_indexer/stream-order-placed.json": (
            {"Records": [_order_written(shopify_order(1001), "demo-shopify")]},
            {"failures": 0},
        ),
        "notifier/order-confirmed.json": (
            _sqs_of([_bus_event("OrderConfirmed", order_detail)], "oms-dev-notifications"),
            {"failures": 0},
        ),
        "notifier/order-on-hold.json": (
            _sqs_of([_bus_event("OrderOnHold", on_hold)], "oms-dev-notifications"),
            {"failures": 0},
        ),
        "orders_api/list-orders.json": (
            _admin("GET", "/orders", "/orders", query="store=demo-shopify&limit=20"),
            {"status": 200},
        ),
        "orders_api/get-order.json": (
            _admin(
                "GET",
                "/orders/demo-shopify.1001",
                "/orders/{order_id}",
                params={"order_id": "demo-shopify.1001"},
            ),
            {"status": 200},
        ),
        "orders_api/create-manual-order.json": (
            _admin("POST", "/orders", "/orders", body=manual),
            {"status": 202},
        ),
        "orders_api/add-note.json": (
            _admin(
                "POST",
                "/orders/demo-shopify.1001/notes",
                "/orders/{order_id}/notes",
                body={"text": "Customer asked for a gift receipt", "visibility": "internal"},
                params={"order_id": "demo-shopify.1001"},
            ),
            {"status": 201},
        ),
        "jobs_api/start-job.json": (
            _admin(
                "POST",
                "/jobs",
                "/jobs",
                body={"action": "add_tag", "order_ids": ["demo-shopify.1001"], "params": {"tag": "gift"}},
                headers={"idempotency-key": "job-sample-1"},
            ),
            {"status": 202},
        ),
        "job_worker/chunk.json": (
            _sqs_of(
                [{"job_id": "job-sample-1", "order_ids": ["demo-shopify.1001"], "attempt": 1}], "oms-dev-jobs"
            ),
            {"failures": 0},
        ),
        "stock_api/get-stock.json": (
            _admin("GET", "/stock/IPOD2008GREEN", "/stock/{sku}", params={"sku": "IPOD2008GREEN"}),
            {"status": 200},
        ),
        "stock_api/put-stock.json": (
            _admin(
                "PUT",
                "/stock/IPOD2008GREEN",
                "/stock/{sku}",
                body={"locations": [{"location": "wh-east", "on_hand": 40}]},
                params={"sku": "IPOD2008GREEN"},
            ),
            {"status": 200},
        ),
        "stock_api/list-locations.json": (_admin("GET", "/locations", "/locations"), {"status": 200}),
        "stores_api/create-store.json": (
            _admin(
                "POST",
                "/stores",
                "/stores",
                body={
                    "store_id": "sample-woo",
                    "channel": "woocommerce",
                    "name": "Sample WooCommerce shop",
                    "site_url": "https://shop.example.com",
                },
            ),
            {"status": 201},
        ),
        "stores_api/list-stores.json": (_admin("GET", "/stores", "/stores"), {"status": 200}),
        # Fulfilment of the WooCommerce sample order (demo-woo fulfils by hand, so the intake
        # sample left it allocated, one shipment from wh-west, waiting for staff).
        "fulfilment/order-confirmed.json": (
            _sqs_of(
                [
                    _bus_event(
                        "OrderConfirmed", {**order_detail, "order_id": WOO_ORDER, "store_id": "demo-woo"}
                    )
                ],
                "oms-dev-fulfilment",
            ),
            {"failures": 0},
        ),
        "fulfilment/order-cancelled.json": (
            _sqs_of(
                [
                    _bus_event(
                        "OrderCancelled",
                        {**order_detail, "order_id": "demo-shopify.1004", "status": "cancelled"},
                    )
                ],
                "oms-dev-fulfilment",
            ),
            {"failures": 0},
        ),
        "fulfilment_api/list-shipments.json": (
            _admin("GET", "/shipments", "/shipments", query="location=wh-west&status=pending"),
            {"status": 200},
        ),
        "fulfilment_api/order-shipments.json": (
            _admin(
                "GET",
                f"/orders/{WOO_ORDER}/shipments",
                "/orders/{order_id}/shipments",
                params={"order_id": WOO_ORDER},
            ),
            {"status": 200},
        ),
        "fulfilment_api/allocate-again.json": (
            _admin(
                "POST",
                f"/orders/{WOO_ORDER}/allocate",
                "/orders/{order_id}/allocate",
                params={"order_id": WOO_ORDER},
            ),
            {"status": 409},
        ),
        "fulfilment_api/pick-list.json": (
            _admin(
                "GET",
                f"/shipments/{WOO_SHIPMENT}/pick-list",
                "/shipments/{shipment_id}/pick-list",
                params={"shipment_id": WOO_SHIPMENT},
            ),
            {"status": 200},
        ),
        "fulfilment_api/packing-slip-html.json": (
            _admin(
                "GET",
                f"/shipments/{WOO_SHIPMENT}/packing-slip",
                "/shipments/{shipment_id}/packing-slip",
                params={"shipment_id": WOO_SHIPMENT},
                query="format=html",
            ),
            {"status": 200, "content_type": "text/html; charset=utf-8"},
        ),
        "fulfilment_api/pack.json": (
            _admin(
                "POST",
                f"/shipments/{WOO_SHIPMENT}/pack",
                "/shipments/{shipment_id}/pack",
                params={"shipment_id": WOO_SHIPMENT},
            ),
            {"status": 200},
        ),
        "fulfilment_api/rates.json": (
            _admin(
                "GET",
                f"/shipments/{WOO_SHIPMENT}/rates",
                "/shipments/{shipment_id}/rates",
                params={"shipment_id": WOO_SHIPMENT},
            ),
            {"status": 200},
        ),
        "fulfilment_api/buy-label.json": (
            _admin(
                "POST",
                f"/shipments/{WOO_SHIPMENT}/label",
                "/shipments/{shipment_id}/label",
                body={"service": "ground"},
                params={"shipment_id": WOO_SHIPMENT},
            ),
            {"status": 201},
        ),
        "fulfilment_api/ship.json": (
            _admin(
                "POST",
                f"/shipments/{WOO_SHIPMENT}/ship",
                "/shipments/{shipment_id}/ship",
                params={"shipment_id": WOO_SHIPMENT},
            ),
            {"status": 200},
        ),
        "fulfilment_api/bad-tracking.json": (
            _admin(
                "POST",
                f"/shipments/{WOO_SHIPMENT}/tracking",
                "/shipments/{shipment_id}/tracking",
                body={"carrier": "", "tracking_number": "1Z 999"},
                params={"shipment_id": WOO_SHIPMENT},
            ),
            {"status": 422},
        ),
        "channel_sync/shipment-shipped.json": (
            _sqs_of(
                [
                    _bus_event(
                        "ShipmentShipped",
                        _shipment_detail(WOO_SHIPMENT, WOO_ORDER, "shipped"),
                        "oms.shipments",
                    )
                ],
                "oms-dev-channel-sync",
            ),
            {"failures": 0},
        ),
        "backorder_release/stock-adjusted.json": (
            _sqs_of(
                [
                    _bus_event(
                        "StockAdjusted",
                        {
                            "schema_version": 1,
                            "event_id": "stock:IPOD2008GREEN:wh-east:2026-11-22T02:00:00Z",
                            "sku": "IPOD2008GREEN",
                            "location": "wh-east",
                            "on_hand": 40,
                            "reserved": 0,
                            "available": 40,
                            "previous_on_hand": 20,
                            "occurred_at": "2026-11-22T02:00:00Z",
                        },
                        "oms.stock",
                    )
                ],
                "oms-dev-backorder-release",
            ),
            {"failures": 0},
        ),
        "inventory_sync/stock-available-changed.json": (
            _sqs_of(
                [
                    _bus_event(
                        "StockAvailableChanged",
                        {
                            "schema_version": 1,
                            "sku": "IPOD2008GREEN",
                            "on_hand": 45,
                            "reserved": 2,
                            "available": 43,
                            "previous_available": 25,
                            "version": 7,
                            "occurred_at": "2026-11-22T02:00:00Z",
                        },
                        "oms.stock",
                    )
                ],
                "oms-dev-inventory-sync",
            ),
            {"failures": 0},
        ),
        "order_recovery/scheduled.json": (
            _scheduled("2026-11-22T06:05:00Z", "OrderRecoveryFunctionTick"),
            {"result_keys": ["queued"]},
        ),
        "order_recovery/reconcile-run.json": (
            _sqs_of(
                [
                    {
                        "run_id": "sample-run-1",
                        "store_id": "demo-shopify",
                        "since": "2026-11-22T05:00:00Z",
                        "until": "2026-11-22T06:04:00Z",
                        "scheduled": True,
                    }
                ],
                "oms-dev-reconcile",
            ),
            {"failures": 0},
        ),
        # A page of a run the store's record does not know (another run replaced it): dropped.
        "catalog_sync/catalog-page.json": (
            _sqs_of(
                [
                    {
                        "run_id": "sample-run-1",
                        "store_id": "demo-shopify",
                        "started_at": "2026-11-22T06:00:00Z",
                        "repush": False,
                        "phase": "channel",
                        "cursor": None,
                        "page": 0,
                    }
                ],
                "oms-dev-catalog-sync.fifo",
            ),
            {"failures": 0},
        ),
        "privacy/scheduled.json": (
            _scheduled("2026-11-23T04:45:00Z", "PrivacyFunctionRetention"),
            {"result_keys": ["queued"]},
        ),
        # Staff ask for a customer of the demo Shopify shop to be erased (one with no orders here).
        "privacy/staff-redaction.json": (
            _sqs_of(
                [
                    {
                        "request": {
                            "request_id": "staff-sample-erasure-1",
                            "kind": "redact",
                            "store_id": "demo-shopify",
                            "customer": {"email": "nobody@example.com"},
                            "source": "staff",
                            "requested_by": "staff:sample",
                            "received_at": "2026-11-22T06:00:00Z",
                        }
                    }
                ],
                "oms-dev-privacy",
            ),
            {"failures": 0},
        ),
        "privacy_api/unknown-request.json": (
            _admin(
                "GET",
                "/privacy/requests/staff-no-such-request",
                "/privacy/requests/{request_id}",
                params={"request_id": "staff-no-such-request"},
            ),
            {"status": 404},
        ),
        # An order confirmed, for the subscriptions (none in a fresh stack: nothing is queued).
        "outbound_dispatch/order-confirmed.json": (
            _sqs_of(
                [
                    _bus_event(
                        "OrderConfirmed",
                        {
                            "schema_version": 1,
                            "order_id": "demo-shopify.450789469",
                            "store_id": "demo-shopify",
                            "channel": "shopify",
                            "status": "confirmed",
                            "occurred_at": "2026-11-22T06:00:00Z",
                            "event_id": "demo-shopify.450789469:2:0",
                        },
                    )
                ],
                "oms-dev-outbound-events",
            ),
            {"failures": 0},
        ),
        # A delivery for a subscription deleted since: dropped, nothing sent.
        "outbound_delivery/unsubscribed.json": (
            _sqs_of(
                [
                    {
                        "subscription_id": "sub_00000000000000000000",
                        "event_id": "demo-shopify.450789469:2:0",
                        "event_type": "OrderConfirmed",
                        "occurred_at": "2026-11-22T06:00:00Z",
                        "data": {"order_id": "demo-shopify.450789469"},
                    }
                ],
                "oms-dev-webhook-deliveries",
            ),
            {"failures": 0},
        ),
        "returns_api/list-returns.json": (
            _admin("GET", "/returns", "/returns", query="status=requested"),
            {"status": 200},
        ),
        # A customer starts on the returns page with an order number nobody has: the same answer as
        # a wrong email.
        "return_portal/unknown-order.json": (
            http_event(
                "POST",
                "/returns/start",
                route_key="POST /returns/start",
                headers={"accept": "application/json", "content-type": "application/json"},
                body=json.dumps({"order_number": "NO-SUCH-1", "email": "someone@example.com"}).encode(),
                domain="abc123.execute-api.us-east-1.amazonaws.com",
            ),
            {"status": 404},
        ),
        "subscriptions_api/list-subscriptions.json": (
            _admin("GET", "/subscriptions", "/subscriptions"),
            {"status": 200},
        ),
        "tracking_poller/scheduled.json": (
            _scheduled("2026-11-22T06:15:00Z", "TrackingPollerFunctionPoll"),
            {"result_keys": ["checked", "delivered", "due", "failed", "left_for_next_run", "problems"]},
        ),
        "order_completer/scheduled.json": (
            _scheduled("2026-11-23T03:30:00Z", "OrderCompleterFunctionDaily"),
            {"result_keys": ["completed"]},
        ),
        "order_sweeper/scheduled.json": (
            _scheduled("2026-11-23T03:35:00Z", "OrderSweeperFunctionSweep"),
            {"result_keys": ["failed", "found", "settled"]},
        ),
        "choice_timeout/scheduled.json": (
            _scheduled("2026-11-23T03:40:00Z", "ChoiceTimeoutFunctionTimeouts"),
            {"result_keys": ["applied", "failed"]},
        ),
        # CloudFormation deletes the stack after the app's bucket is already gone: nothing to empty,
        # and CloudFormation is told so (the reply goes to REPLY_URL, where the test listens).
        "admin_app_publisher/delete-gone-bucket.json": (
            {
                "RequestType": "Delete",
                "ServiceToken": PUBLISHER_ARN,
                "ResponseURL": REPLY_URL,
                "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/oms-dev/4e1f0d50",
                "RequestId": "7b8a2c1e-5d4f-4a3b-9c2d-1e0f9a8b7c6d",
                "LogicalResourceId": "AdminAppFiles",
                "PhysicalResourceId": "admin-app-oms-dev-adminappbucket-gone",
                "ResourceType": "Custom::AdminAppFiles",
                "ResourceProperties": {
                    "ServiceToken": PUBLISHER_ARN,
                    "Bucket": "oms-dev-adminappbucket-gone",
                    "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com",
                    "AuthUrl": "https://oms-dev-123456789012.auth.us-east-1.amazoncognito.com",
                    "ClientId": "1example23456789",
                },
            },
            {"result_keys": ["Status"], "reply": "SUCCESS"},
        ),
        # A link whose signature does not match: the same 404 page as any link that is not valid.
        "choices_api/forged-link.json": (
            http_event(
                "GET",
                f"/choices/{FORGED_LINK}",
                route_key="GET /choices/{token}",
                headers={"accept": "text/html"},
                path_parameters={"token": FORGED_LINK},
                domain="abc123.execute-api.us-east-1.amazonaws.com",
            ),
            {"status": 404, "content_type": "text/html; charset=utf-8"},
        ),
    }


# The order the manifest lists files in (get-order needs the intake sample to have run).
def write(root: Path = ROOT) -> list[str]:
    written = []
    manifest: dict[str, Any] = {}
    for name, (event, expected) in samples().items():
        path = root / "events" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
        manifest[name] = {"function_dir": name.split("/")[0], **expected}
        written.append(name)
    (root / "events" / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return written


if __name__ == "__main__":
    for name in write():
        print(f"events/{name}")
    print(f"written at {datetime.now(UTC):%Y-%m-%d %H:%M}Z")
