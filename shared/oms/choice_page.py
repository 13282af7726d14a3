"""The customer's choice page, as data (JSON) and as HTML: pure. Everything shown is escaped; the
page names the order by its number only and shows no address, email or amount beyond the lines."""

from __future__ import annotations

import html

from oms.customer_choices import WORDS
from oms.models import ChoiceOption, CustomerChoice, Model, Order
from oms.public_page import error_page, page
from oms.timeutil import UtcDateTime


class ChoiceLine(Model):
    name: str
    quantity: int


class ChoiceOptionView(Model):
    option: ChoiceOption
    label: str


class ChoiceView(Model):
    """What the customer sees: their order's number, what waits, what ships, the options."""

    store: str
    order_number: str
    waiting: list[ChoiceLine]
    shipping_now: list[ChoiceLine]
    substitutes: list[ChoiceLine]  # what the substitute option would send instead
    options: list[ChoiceOptionView]
    default: ChoiceOption
    due: UtcDateTime
    chosen: ChoiceOption | None = None
    chosen_at: UtcDateTime | None = None
    closed: bool = False  # nothing waits any more: nothing to choose


def view(order: Order, store_name: str, offer: CustomerChoice, waiting: dict[str, int]) -> ChoiceView:
    names = {line.line_id: line.name for line in order.lines}
    shipping = [
        ChoiceLine(name=line.name, quantity=line.open_quantity - waiting.get(line.line_id, 0))
        for line in order.lines
        if line.ships and line.open_quantity - waiting.get(line.line_id, 0) > 0
    ]
    return ChoiceView(
        store=store_name,
        order_number=order.number,
        waiting=[ChoiceLine(name=names.get(k, k), quantity=n) for k, n in sorted(waiting.items())],
        shipping_now=shipping,
        substitutes=[
            ChoiceLine(name=s.name or s.sku, quantity=waiting.get(k, 0))
            for k, s in sorted(offer.substitutes.items())
            if waiting.get(k)
        ],
        options=[ChoiceOptionView(option=o, label=WORDS[o]) for o in offer.options],
        default=offer.default,
        due=offer.due,
        chosen=offer.chosen,
        chosen_at=offer.chosen_at,
        closed=offer.closed_at is not None,
    )


def _items(lines: list[ChoiceLine]) -> str:
    return "".join(f"<li>{line.quantity} &times; {html.escape(line.name)}</li>" for line in lines)


def render(choice: ChoiceView, *, message: str | None = None) -> str:
    title = f"Your order {choice.order_number}"
    parts = [f"<h1>{html.escape(choice.store)}: order {html.escape(choice.order_number)}</h1>"]
    if message:
        parts.append(f'<p role="status"><strong>{html.escape(message)}</strong></p>')
    if choice.waiting:
        parts.append(f"<h2>Waiting for stock</h2><ul>{_items(choice.waiting)}</ul>")
    if choice.shipping_now:
        parts.append(f"<h2>Ready to ship</h2><ul>{_items(choice.shipping_now)}</ul>")
    if choice.chosen is not None:
        parts.append(f"<p>You chose: {html.escape(WORDS[choice.chosen])}. Thank you.</p>")
        return page(title, "".join(parts))
    if choice.closed:
        parts.append("<p>Everything in your order is in stock now: there is nothing to choose.</p>")
        return page(title, "".join(parts))
    radios = "".join(
        f'<label><input type="radio" name="choice" value="{html.escape(o.option.value)}"'
        f"{' checked' if o.option == choice.default else ''}> {html.escape(o.label)}</label>"
        for o in choice.options
    )
    if choice.substitutes:
        parts.append(f"<h2>Suggested substitute</h2><ul>{_items(choice.substitutes)}</ul>")
    due = choice.due.strftime("%d %B %Y, %H:%M UTC")
    default = next(o.label for o in choice.options if o.option == choice.default)
    parts.append(
        '<form method="post"><fieldset><legend>What would you like us to do?</legend>'
        f'{radios}</fieldset><button type="submit">Confirm my choice</button></form>'
        f'<p class="note">If we do not hear from you by {html.escape(due)}, we will: '
        f"{html.escape(default)}.</p>"
    )
    return page(title, "".join(parts))


def render_error(message: str) -> str:
    """The same page for every refusal, in a sentence."""
    return error_page("Order choice", message)
