"""The customer's returns page, as data (JSON) and as HTML: pure. It shows the order by its number,
its lines with what may come back under the store's policy, the store's reasons, and a return's
status, label and refund: no address, email or name beyond what the customer typed (echoed back
in the form so the next step can be checked again). Every value shown is escaped."""

from __future__ import annotations

import html
from datetime import datetime

from oms.models import Model, Order, ReturnReason
from oms.public_page import page
from oms.return_lifecycle import ReturnStatus
from oms.returns import Return

TITLE = "Return an item"
STATUS_WORDS = {
    ReturnStatus.REQUESTED: "We have your request and will look at it shortly.",
    ReturnStatus.APPROVED: "Approved: send the parcel back with the label below.",
    ReturnStatus.DECLINED: "We could not accept this return.",
    ReturnStatus.IN_TRANSIT: "Your parcel is on its way back to us.",
    ReturnStatus.RECEIVED: "We have your parcel and are checking it.",
    ReturnStatus.REFUNDED: "Refunded.",
    ReturnStatus.EXCHANGED: "Your exchange is on its way.",
    ReturnStatus.CLOSED: "Done: this return is complete.",
    ReturnStatus.CANCELLED: "This return was cancelled.",
}


def page_path(token: str) -> str:
    """Where a return's page is, on this API (``GET /returns/page/{token}``)."""
    return f"/returns/page/{token}"


class Typed(Model):
    """What the customer typed to find their order (shown back to them only)."""

    order_number: str = ""
    email: str | None = None
    postcode: str | None = None
    store: str | None = None


class ReturnableLineView(Model):
    line_id: str
    name: str
    returnable: int
    final_sale: bool


class ReasonView(Model):
    code: str
    label: str


class ReturnableView(Model):
    store: str
    order_number: str
    window_closes: datetime | None
    lines: list[ReturnableLineView]
    reasons: list[ReasonView]


class ReturnLineView(Model):
    name: str
    quantity: int
    reason: str


class ReturnView(Model):
    store: str
    order_number: str
    return_id: str
    status: ReturnStatus
    status_words: str
    lines: list[ReturnLineView]
    label_url: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    refunded: str | None = None
    page_path: str | None = None


def returnable_view(
    store: str,
    order: Order,
    found: tuple[dict[str, int], set[str], datetime | None],
    reasons: list[ReturnReason],
) -> ReturnableView:
    """``found``: per line what may come back, the final-sale lines, when the window closes."""
    lines, final_sale, closes = found
    return ReturnableView(
        store=store,
        order_number=order.number,
        window_closes=closes,
        lines=[
            ReturnableLineView(
                line_id=x.line_id,
                name=x.name,
                returnable=lines.get(x.line_id, 0),
                final_sale=x.line_id in final_sale,
            )
            for x in order.lines
        ],
        reasons=[ReasonView(code=r.code, label=r.label) for r in reasons],
    )


def return_view(store: str, ret: Return, reasons: list[ReturnReason], page_path: str | None) -> ReturnView:
    label = ret.label
    words = STATUS_WORDS[ret.status]
    if ret.exchange_short:
        words += " The replacement you asked for is out of stock: you will be refunded instead."
    return ReturnView(
        store=store,
        order_number=ret.number,
        return_id=ret.return_id,
        status=ret.status,
        status_words=words,
        lines=[
            ReturnLineView(
                name=x.name,
                quantity=x.quantity,
                reason=(found.label if (found := _reason(reasons, x.reason)) else x.reason),
            )
            for x in ret.lines
        ],
        label_url=label.label_url if label else None,
        tracking_number=label.tracking_number if label else None,
        tracking_url=label.tracking_url if label else None,
        refunded=str(ret.refunded) if ret.refunded else None,
        page_path=page_path,
    )


def _reason(reasons: list[ReturnReason], code: str) -> ReturnReason | None:
    return next((r for r in reasons if r.code == code), None)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _input(name: str, label: str, value: str | None, attributes: str) -> str:
    return (
        f'<label for="{name}">{label}</label>'
        f'<input id="{name}" name="{name}" {attributes} value="{_e(value or "")}">'
    )


def _select(name: str, label: str, options: list[tuple[str, str]]) -> str:
    choices = "".join(f'<option value="{_e(v)}">{_e(text)}</option>' for v, text in options)
    return f'<label for="{name}">{label}</label><select id="{name}" name="{name}">{choices}</select>'


def _identity_fields(typed: Typed) -> str:
    fields = {
        "order_number": typed.order_number,
        "email": typed.email,
        "postcode": typed.postcode,
        "store": typed.store,
    }
    return "".join(f'<input type="hidden" name="{k}" value="{_e(v)}">' for k, v in fields.items() if v)


def render_start(typed: Typed, *, message: str | None = None) -> str:
    """The form: the order number, and the email or the shipping postcode."""
    note = f'<p role="alert"><strong>{_e(message)}</strong></p>' if message else ""
    store = f'<input type="hidden" name="store" value="{_e(typed.store)}">' if typed.store else ""
    body = (
        f"<h1>{TITLE}</h1>{note}"
        "<p>Find your order with its number and the email address you ordered with, or the postcode"
        " it was sent to.</p>"
        f'<form method="post" action="/returns/start">{store}'
        + _input("order_number", "Order number", typed.order_number, 'required maxlength="64"')
        + _input("email", "Email address", typed.email, 'type="email" maxlength="254" autocomplete="email"')
        + _input("postcode", "or the postcode it was sent to", typed.postcode, 'maxlength="20"')
        + '<button type="submit">Find my order</button></form>'
    )
    return page(TITLE, body)


def render_returnable(view: ReturnableView, typed: Typed) -> str:
    """The order's lines, each with how many to send back and why."""
    head = f"<h1>{_e(view.store)}: order {_e(view.order_number)}</h1>"
    closes = f"{view.window_closes:%d %B %Y}" if view.window_closes else None
    if not any(x.returnable for x in view.lines):
        why = f" (the return window closed on {closes})" if closes else ""
        return page(TITLE, f"{head}<p>Nothing in this order can be returned now{_e(why)}.</p>")
    reasons = [(r.code, r.label) for r in view.reasons]
    rows = []
    for i, line in enumerate(view.lines):
        if not line.returnable:
            why = "final sale" if line.final_sale else "nothing left to return"
            rows.append(f'<li>{_e(line.name)} <span class="note">({why})</span></li>')
            continue
        rows.append(
            f"<li><fieldset><legend>{_e(line.name)}</legend>"
            f'<input type="hidden" name="line_{i}" value="{_e(line.line_id)}">'
            + _select(
                f"qty_{i}", "How many to return", [(str(n), str(n)) for n in range(line.returnable + 1)]
            )
            + _select(f"reason_{i}", "Why", reasons)
            + "</fieldset></li>"
        )
    window = f'<p class="note">Returns close on {_e(closes)}.</p>' if closes else ""
    body = (
        f"{head}{window}"
        f'<form method="post" action="/returns/start">{_identity_fields(typed)}<ul>{"".join(rows)}</ul>'
        '<button type="submit">Start my return</button></form>'
    )
    return page(TITLE, body)


def render_return(view: ReturnView) -> str:
    """A return's status, its label and what happens next."""
    items = "".join(
        f'<li>{x.quantity} &times; {_e(x.name)} <span class="note">({_e(x.reason)})</span></li>'
        for x in view.lines
    )
    parts = [
        f"<h1>{_e(view.store)}: your return for order {_e(view.order_number)}</h1>",
        f'<p role="status">{_e(view.status_words)}</p>',
        f"<ul>{items}</ul>",
    ]
    if view.label_url and view.status in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT):
        parts.append(
            f'<p><a href="{_e(view.label_url)}" rel="noopener noreferrer">Print your return label</a>'
            f" (tracking number {_e(view.tracking_number or '')})</p>"
        )
    if view.refunded:
        parts.append(f"<p>Refunded: {_e(view.refunded)}</p>")
    if view.page_path:
        link = _e(view.page_path)
        parts.append(f'<p class="note"><a href="{link}">Keep this page</a> to follow your return.</p>')
    return page(TITLE, "".join(parts))


def render_error(message: str) -> str:
    sentence = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    body = f'<h1>{TITLE}</h1><p role="alert">{_e(sentence)}</p><p><a href="/returns/start">Try again</a></p>'
    return page(TITLE, body)
