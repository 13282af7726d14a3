"""POST /orders/{order_id}/notes on moto: a note written once per Idempotency-Key, shown on the
order and its timeline, and a customer note emailed once."""

from __future__ import annotations

from typing import Any

from oms_local.samples import shopify_delivery, shopify_order
from tests.integration.test_notifier import SECRET, emails_about
from tests.integration.test_notifier import mailing_shop as mailing_shop
from tests.stack import Stack


def note(stack: Stack, order_id: str, body: dict[str, Any], key: str | None = None) -> tuple[int, Any]:
    headers = {"idempotency-key": key} if key else None
    status, _, answer = stack.api.request("POST", f"/orders/{order_id}/notes", body, headers=headers)
    return status, answer


def placed(stack: Stack, n: int) -> str:
    delivery = shopify_delivery(
        shopify_order(n, skus={"IPOD2009BLACK": 1}),
        store_id="demo-shopify",
        secret=SECRET,
        event_id=f"note-{n}",
    )
    assert stack.deliver(delivery)[0] == 202
    return f"demo-shopify.{n}"


def test_a_note_is_written_once_per_key_and_shown_on_the_order(mailing_shop: Stack) -> None:
    stack = mailing_shop
    order_id = placed(stack, 62_001)
    body = {"text": "Customer asked for a gift receipt", "visibility": "internal"}

    status, first = note(stack, order_id, body, key="note-62001-a")
    assert status == 201, first
    assert (first["note"]["note_id"], first["note"]["author"], first["notes"]) == (
        "note-62001-a",
        "staff:test-staff",
        1,
    )
    status, again = note(stack, order_id, body, key="note-62001-a")  # a retried request
    assert (status, again) == (201, first)
    status, reused = note(stack, order_id, body | {"text": "something else"}, key="note-62001-a")
    assert (status, reused["code"]) == (422, "idempotency_key_reused")

    order = stack.order(order_id)
    assert [n["text"] for n in order["notes"] if n.get("note_id")] == ["Customer asked for a gift receipt"]
    assert order["timeline"][-1]["reason"] == "note added (internal)"
    stack.cloud.drain()
    added = stack.events.of_type("OrderNoteAdded", order_id)
    assert [e["detail"]["note_id"] for e in added] == ["note-62001-a"]


def test_a_customer_note_is_emailed_to_the_customer_once(mailing_shop: Stack) -> None:
    stack = mailing_shop
    order_id = placed(stack, 62_002)
    status, _ = note(stack, order_id, {"text": "Ships Monday, sorry for the wait", "visibility": "customer"})
    assert status == 201
    stack.cloud.drain()
    stack.cloud.drain()
    assert emails_about(stack, "a note about your order #62002") == [
        "Demo Shopify shop: a note about your order #62002"
    ]


def test_bad_notes_are_refused_naming_the_field_and_change_nothing(mailing_shop: Stack) -> None:
    stack = mailing_shop
    order_id = placed(stack, 62_003)
    before = stack.order(order_id)
    for body, field in (
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "hi", "visibility": "public"}, "visibility"),
        ({"text": "hi", "author": "someone"}, "author"),
    ):
        status, answer = note(stack, order_id, body)
        assert status == 422, (body, answer)
        assert answer["errors"][0]["field"] == field
    assert note(stack, "demo-shopify.404404", {"text": "hi"})[0] == 404
    assert stack.order(order_id) == before
