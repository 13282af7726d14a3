"""What to tell whom about an event. Pure: the notifier function sends what this returns."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oms.models import NoteVisibility, Order, RefundStatus, Store
from oms.order_notes import find_note
from oms.refunds import find_refund


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Sms:
    phone: str
    text: str


@dataclass(frozen=True, slots=True)
class Alert:
    subject: str
    text: str


Notification = Email | Sms | Alert

CUSTOMER_EVENTS = {"OrderConfirmed", "OrderShipped", "OrderDelivered", "OrderCancelled"}
NOTE_EVENT = "OrderNoteAdded"
# Staff actions the customer is told about when staff ask for it (``notify_customer``).
AFTER_SALE_EVENTS = {"OrderLinesCancelled", "RefundCreated", "RefundSucceeded"}
# The customer's order waits for stock: told, with the link to their choice when the store offers one.
WAITING_EVENTS = {"LinesBackordered", "OrderOnHold"}
# A return approved (its label, its page) or declined (why).
RETURN_EVENTS = {"ReturnApproved", "ReturnDeclined"}
NEEDS_ORDER = CUSTOMER_EVENTS | AFTER_SALE_EVENTS | WAITING_EVENTS | RETURN_EVENTS | {NOTE_EVENT}
ChoiceUrl = Callable[[str, int], str]  # (order id, offer) -> the signed link to the choice page
ReturnUrl = Callable[[str], str]  # return id -> the signed link to the return's page


def _lines_text(order: Order) -> str:
    return "\n".join(f"  {line.open_quantity} x {line.name}" for line in order.lines if line.open_quantity)


def _customer_message(
    event_type: str, order: Order, detail: dict[str, Any], store_name: str
) -> tuple[str, str]:
    number = order.number
    if event_type == "OrderConfirmed":
        return (
            f"{store_name}: order {number} confirmed",
            f"Thank you for your order {number}.\n\n{_lines_text(order)}\n\nTotal: {order.totals.total}\n"
            "We will let you know when it ships.",
        )
    if event_type == "OrderShipped":
        tracking = detail.get("tracking") or []
        parts = [
            f"  {t.get('carrier')}: {t.get('tracking_number')} {t.get('tracking_url') or ''}".rstrip()
            for t in tracking
        ]
        return (
            f"{store_name}: order {number} is on its way",
            f"Your order {number} has shipped.\n\nTracking:\n" + ("\n".join(parts) or "  (none)"),
        )
    if event_type == "OrderDelivered":
        return (f"{store_name}: order {number} delivered", f"Your order {number} has been delivered.")
    return (
        f"{store_name}: order {number} cancelled",
        f"Your order {number} has been cancelled. Any payment taken will be refunded.",
    )


def _email(order: Order, subject: str, text: str) -> Email:
    assert order.customer.email is not None
    greeting = f"Hello {order.customer.first_name or ''},"
    return Email(
        order.customer.email,
        subject,
        f"{greeting}\n\n{text}\n",
        f"<p>{html.escape(greeting)}</p><pre>{html.escape(text)}</pre>",
    )


def _after_sale_message(
    kind: str, order: Order, detail: dict[str, Any], store_name: str
) -> tuple[str, str] | None:
    """Units staff cancelled (a whole order is told by its OrderCancelled) and money on its way
    back (once it has left: recorded by hand, or confirmed by the channel)."""
    number = order.number
    if kind == "OrderLinesCancelled":
        if detail.get("whole"):
            return None
        names = {line.line_id: line.name for line in order.lines}
        units = "\n".join(
            f"  {c.get('quantity')} x {names.get(str(c.get('line_id')), 'item')}"
            for c in detail.get("lines") or []
        )
        return (
            f"{store_name}: part of order {number} cancelled",
            f"These items of your order {number} have been cancelled:\n\n{units}\n\n"
            "The rest of your order is on its way as planned.",
        )
    refund = find_refund(order, str(detail.get("refund_id", "")))
    if refund is None or refund.status not in (RefundStatus.MANUAL, RefundStatus.SUCCEEDED):
        return None
    if kind == "RefundCreated" and refund.status != RefundStatus.MANUAL:
        return None  # told when the channel confirms it
    return (
        f"{store_name}: refund for order {number}",
        f"We have refunded {refund.total} for your order {number}.\n"
        "It can take a few days to appear on your statement.",
    )


def _waiting_message(
    kind: str, order: Order, detail: dict[str, Any], store_name: str, choice_url: ChoiceUrl | None
) -> tuple[str, str] | None:
    """Lines backordered (always told), or the whole order held for stock (told when the customer
    may choose); with the signed link to the choice page while the offer is open."""
    offer = order.choice if order.choice is not None and order.choice.open else None
    held_for_stock = kind == "OrderOnHold" and (detail.get("hold") or {}).get("reason") == "out_of_stock"
    if kind == "OrderOnHold" and not (held_for_stock and offer):
        return None
    number = order.number
    names = {line.line_id: line.name for line in order.lines}
    if kind == "LinesBackordered":
        units = "\n".join(f"  {b.get('quantity')} x {b.get('name')}" for b in detail.get("lines") or [])
        subject = f"{store_name}: part of order {number} is backordered"
        text = (
            f"These items of your order {number} are out of stock for now:\n\n{units}\n\n"
            "The rest ships now; these follow as soon as they are back in stock."
        )
    else:
        units = "\n".join(f"  {names.get(k, k)}" for k in sorted(names))
        subject = f"{store_name}: order {number} is waiting for stock"
        text = f"Some items of your order {number} are out of stock for now, so it has not shipped yet."
    if offer is not None and choice_url is not None:
        link = choice_url(order.order_id, offer.offer)
        due = offer.due.strftime("%d %B %Y, %H:%M UTC")
        text += (
            f"\n\nYou can choose what we do: wait, ship what is in stock now, or cancel with a full"
            f" refund:\n{link}\n\nIf we do not hear from you by {due}, we will go ahead as planned."
        )
    return subject, text


def _return_message(
    kind: str, order: Order, detail: dict[str, Any], store_name: str, return_url: ReturnUrl | None
) -> tuple[str, str]:
    """A return approved (the label to print, the return's page) or declined (why)."""
    number = order.number
    names = {line.line_id: line.name for line in order.lines}
    units = "\n".join(
        f"  {x.get('quantity')} x {names.get(str(x.get('line_id')), x.get('sku'))}"
        for x in detail.get("lines") or []
    )
    if kind == "ReturnDeclined":
        return (
            f"{store_name}: your return for order {number}",
            f"We cannot accept this return for your order {number}:\n\n{units}\n\n"
            f"Reason: {detail.get('reason') or 'not given'}",
        )
    text = f"Your return for order {number} is approved:\n\n{units}\n"
    if detail.get("label_url"):
        text += (
            f"\nPrint your return label and stick it on the parcel:\n{detail['label_url']}\n"
            f"Tracking number: {detail.get('tracking_number') or ''}\n"
        )
    else:
        text += "\nSend the parcel back to us the way you prefer, with your order number inside.\n"
    if detail.get("exchange_short"):
        text += "\nThe replacement you asked for is out of stock, so we will refund you instead.\n"
    elif detail.get("replacement_order_id"):
        owed = detail.get("exchange_owed")
        text += "\nYour replacement is reserved" + (
            f"; it ships once the difference of {owed} {order.currency} is paid.\n" if owed else ".\n"
        )
    if return_url is not None:
        text += f"\nFollow your return here:\n{return_url(str(detail.get('return_id')))}\n"
    return f"{store_name}: return for order {number} approved", text


def _customer_note(order: Order, note_id: str, store: Store, *, email_enabled: bool) -> list[Notification]:
    """A note staff wrote for the customer, emailed as written (an internal note goes nowhere)."""
    note = find_note(order, note_id)
    if note is None or note.visibility != NoteVisibility.CUSTOMER:
        return []
    if not (email_enabled and store.settings.notify_customer_email and order.customer.email):
        return []
    subject = f"{store.name}: a note about your order {order.number}"
    text = f"{note.text}\n\n(about your order {order.number})"
    greeting = f"Hello {order.customer.first_name or ''},"
    return [
        Email(
            order.customer.email,
            subject,
            f"{greeting}\n\n{text}\n",
            f"<p>{html.escape(greeting)}</p><pre>{html.escape(text)}</pre>",
        )
    ]


def plan(
    event: dict[str, Any],
    order: Order | None,
    store: Store | None,
    *,
    email_enabled: bool,
    choice_url: ChoiceUrl | None = None,
    return_url: ReturnUrl | None = None,
) -> list[Notification]:
    """The notifications one EventBridge event calls for."""
    kind = event.get("detail-type", "")
    detail: dict[str, Any] = event.get("detail") or {}
    out: list[Notification] = []
    told = detail.get("notify_customer", True) is not False
    if kind in WAITING_EVENTS and order is not None and store is not None:
        waiting = _waiting_message(kind, order, detail, store.name, choice_url)
        if waiting and email_enabled and store.settings.notify_customer_email and order.customer.email:
            out.append(_email(order, *waiting))
    if kind in AFTER_SALE_EVENTS and told and order is not None and store is not None:
        message = _after_sale_message(kind, order, detail, store.name)
        if message and email_enabled and store.settings.notify_customer_email and order.customer.email:
            out.append(_email(order, *message))
    if kind in CUSTOMER_EVENTS and told and order is not None and store is not None:
        subject, text = _customer_message(kind, order, detail, store.name)
        if email_enabled and store.settings.notify_customer_email and order.customer.email:
            out.append(
                Email(
                    order.customer.email,
                    subject,
                    f"Hello {order.customer.first_name or ''},\n\n{text}\n",
                    f"<p>Hello {html.escape(order.customer.first_name or '')},</p>"
                    f"<pre>{html.escape(text)}</pre>",
                )
            )
        if store.settings.notify_customer_sms and order.customer.phone and kind in ("OrderShipped",):
            out.append(Sms(order.customer.phone, subject))
    tell = email_enabled and store is not None and store.settings.notify_customer_email
    if kind in RETURN_EVENTS and order is not None and store is not None and tell and order.customer.email:
        out.append(_email(order, *_return_message(kind, order, detail, store.name, return_url)))
    if kind == NOTE_EVENT and order is not None and store is not None:
        out += _customer_note(order, str(detail.get("note_id", "")), store, email_enabled=email_enabled)
    if kind == "OrderOnHold":
        hold = detail.get("hold") or {}
        short = ", ".join(
            f"{s.get('sku') or '(no SKU)'} needs {s.get('requested')}, has "
            f"{'unknown SKU' if s.get('available') is None else s.get('available')}"
            for s in hold.get("short_lines") or []
        )
        out.append(
            Alert(
                f"Order {detail.get('number')} on hold: {hold.get('reason')}",
                f"Order {detail.get('order_id')} ({detail.get('store_id')}) is on hold: {hold.get('reason')}."
                + (f"\nShort lines: {short}" if short else ""),
            )
        )
    if kind == "LowStock":
        out.append(
            Alert(
                f"Low stock: {detail.get('sku')}",
                f"{detail.get('sku')} is down to {detail.get('available')} available "
                f"(threshold {detail.get('threshold')}).",
            )
        )
    if kind == "ShipmentException":
        out.append(
            Alert(
                f"Parcel problem: {detail.get('tracking_number')}",
                f"Shipment {detail.get('shipment_id')} of order {detail.get('order_id')}: "
                f"{detail.get('problem')} ({detail.get('carrier')} {detail.get('tracking_number')}).",
            )
        )
    return out
