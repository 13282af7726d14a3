"""A staff edit made on Shopify's copy of the order: GraphQL Admin order editing.

``orderEditBegin`` opens a calculated order; lowered quantities are ``orderEditSetQuantity``
(restocking Shopify's inventory), lines added here are ``orderEditAddVariant`` (a new line even
when the variant is on the order already, as ours is) with a line discount when staff priced it
below the variant, checked against the discounted unit price Shopify calculates; ``orderEditCommit``
saves it all at once with our edit id in the staff note. Nothing is committed when any step is
refused, so the edit is made whole or not at all.

Units an edit refunded as it was made are left to that refund, which cancels them on Shopify.
Safe to repeat: the order's lines are read first, and only what Shopify's order does not show yet
is done (a quantity already at ours is left, a line of the added SKU that we did not know of is the
one an earlier attempt added). Shopify numbers a calculated line as the order line it stands for.
What comes back: the ids Shopify gave the lines we added, so its later webhooks are taken as ours.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oms.integrations.shopify_graphql import ChannelRefused, ShopifyAdmin, gid
from oms.models import Address, LineItem, Order, OrderEdit

PAGE = 250

ORDER_LINES = """
query OrderLines($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 250, after: $after) {
      nodes { id sku currentQuantity }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

BEGIN = """
mutation OrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { id }
    userErrors { field message }
  }
}
"""

SET_QUANTITY = """
mutation OrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: true) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

VARIANT_BY_SKU = """
query VariantBySku($query: String!) {
  productVariants(first: 2, query: $query) { nodes { id sku } }
}
"""

ADD_VARIANT = """
mutation OrderEditAddVariant($id: ID!, $variantId: ID!, $quantity: Int!) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity, allowDuplicates: true) {
    calculatedLineItem { id originalUnitPriceSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""

DISCOUNT = """
mutation OrderEditAddLineItemDiscount($id: ID!, $lineItemId: ID!, $discount: OrderEditAppliedDiscountInput!) {
  orderEditAddLineItemDiscount(id: $id, lineItemId: $lineItemId, discount: $discount) {
    calculatedLineItem { id discountedUnitPriceSet { shopMoney { amount } } }
    userErrors { field message }
  }
}
"""

COMMIT = """
mutation OrderEditCommit($id: ID!, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: $staffNote) {
    order { id }
    userErrors { field message }
  }
}
"""

ADDRESS = """
mutation OrderAddress($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}
"""


def _numeric(channel_gid: str) -> str:
    return channel_gid.rsplit("/", 1)[-1]


def _refused(payload: dict[str, Any]) -> None:
    errors = payload.get("userErrors") or []
    if errors:
        words = "; ".join(str(e.get("message") or "refused") for e in errors)
        raise ChannelRefused(f"Shopify refused it: {words}"[:300])


def order_lines(api: ShopifyAdmin, order: Order) -> list[dict[str, Any]]:
    """Every line of Shopify's order (its id, SKU and current quantity), page by page."""
    lines: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = api.query(ORDER_LINES, {"id": gid("Order", order.channel_order_id), "after": after})
        connection = ((data.get("order") or {}).get("lineItems")) or {}
        lines += [
            {
                "id": _numeric(str(n["id"])),
                "sku": n.get("sku"),
                "quantity": int(n.get("currentQuantity") or 0),
            }
            for n in connection.get("nodes") or []
        ]
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return lines
        after = page.get("endCursor")


def _variant_for(api: ShopifyAdmin, order: Order, line: LineItem) -> str:
    """The Shopify variant of an added line: one of the order's own lines of that SKU, else the
    store's variant with exactly that SKU."""
    known = next(
        (ln.variant_id for ln in order.lines if ln.variant_id and ln.sku == line.sku),
        line.variant_id,
    )
    if known:
        return gid("ProductVariant", known)
    data = api.query(VARIANT_BY_SKU, {"query": f'sku:"{line.sku}"'})
    exact = [n for n in ((data.get("productVariants") or {}).get("nodes") or []) if n.get("sku") == line.sku]
    if len(exact) != 1:
        raise ChannelRefused(
            f"Shopify has {len(exact) or 'no'} variant(s) with SKU {line.sku}: add it there by hand"
        )
    return str(exact[0]["id"])


def push_edit(api: ShopifyAdmin, *, order: Order, edit: OrderEdit) -> dict[str, Any]:
    call = api.query
    before = order_lines(api, order)
    on_channel = {line["id"]: line for line in before}
    ours = {line.channel_line_id or line.line_id for line in order.lines}
    unknown = [line for line in before if line["id"] not in ours]  # an earlier attempt's, if any

    lower: dict[str, int] = {}
    # An edit refunded as it was made takes its units off through that refund (refundCreate,
    # restockType CANCEL): lowering them here as well would take them off twice.
    for line_id in [] if edit.refund_id else sorted(edit.changed):
        line, channel_id = order.line(line_id), order.channel_line(line_id)
        if line is None or channel_id is None or line_id in edit.added:
            continue
        there = on_channel.get(channel_id)
        if there is None:
            raise ChannelRefused(f"Shopify's order has no line {channel_id}")
        if there["quantity"] > line.open_quantity:
            lower[channel_id] = line.open_quantity

    channel_lines: dict[str, str] = {}
    to_add: list[LineItem] = []
    for line_id in edit.added:
        line = order.line(line_id)
        if line is None:
            continue
        if line.channel_line_id:
            channel_lines[line_id] = line.channel_line_id
            continue
        twin = next((u for u in unknown if u["sku"] == line.sku), None)
        if twin is not None:
            unknown.remove(twin)
            channel_lines[line_id] = twin["id"]
        elif line.open_quantity > 0:
            to_add.append(line)

    if not lower and not to_add:
        return {"status": "already_edited", "channel_lines": channel_lines}

    begun = call(BEGIN, {"id": gid("Order", order.channel_order_id)})["orderEditBegin"]
    _refused(begun)
    session = str((begun.get("calculatedOrder") or {}).get("id"))
    for channel_id, quantity in sorted(lower.items()):
        answer = call(
            SET_QUANTITY,
            {"id": session, "lineItemId": gid("CalculatedLineItem", channel_id), "quantity": quantity},
        )["orderEditSetQuantity"]
        _refused(answer)
    for line in to_add:
        variant = _variant_for(api, order, line)
        added = call(ADD_VARIANT, {"id": session, "variantId": variant, "quantity": line.open_quantity})[
            "orderEditAddVariant"
        ]
        _refused(added)
        calculated = added.get("calculatedLineItem") or {}
        price = Decimal(
            str(((calculated.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get("amount"))
        )
        _price_as_ours(call, session, calculated, line, price)

    committed = call(COMMIT, {"id": session, "staffNote": _staff_note(edit)})["orderEditCommit"]
    _refused(committed)
    after = order_lines(api, order)
    new = [line for line in after if line["id"] not in on_channel]
    for line in to_add:
        made = next((n for n in new if n["sku"] == line.sku), None)
        if made is not None:
            new.remove(made)
            channel_lines[line.line_id] = made["id"]
    return {"status": "edited", "channel_lines": channel_lines}


def _price_as_ours(
    call: Any, session: str, calculated: dict[str, Any], line: LineItem, price: Decimal
) -> None:
    """Shopify adds a variant at its own price: staff's lower price is a line discount, the
    difference per unit, then checked; a higher one it cannot take."""
    ours = line.unit_price.amount
    if ours == price:
        return
    if ours > price:
        raise ChannelRefused(
            f"Shopify sells {line.sku} at {price} {line.unit_price.currency}: it cannot add it at {ours}"
        )
    answer = call(
        DISCOUNT,
        {
            "id": session,
            "lineItemId": calculated.get("id"),
            "discount": {
                "description": "Price set in the OMS",
                "fixedValue": {"amount": str(price - ours), "currencyCode": line.unit_price.currency},
            },
        },
    )["orderEditAddLineItemDiscount"]
    _refused(answer)
    unit = ((answer.get("calculatedLineItem") or {}).get("discountedUnitPriceSet") or {}).get(
        "shopMoney"
    ) or {}
    if Decimal(str(unit.get("amount"))) != ours:
        raise ChannelRefused(
            f"Shopify priced {line.sku} at {unit.get('amount')}, not {ours}: nothing was changed"
        )


def _staff_note(edit: OrderEdit) -> str:
    words = f"Edited in the OMS by {edit.actor}"
    if edit.note:
        words += f": {edit.note}"
    return f"{words} [oms {edit.edit_id}]"[:5000]


def mailing_address(address: Address) -> dict[str, Any]:
    """Our address as Shopify's MailingAddressInput (the name kept whole as the last name: we do
    not split people's names)."""
    fields = {
        "lastName": address.name,
        "company": address.company,
        "address1": address.line1,
        "address2": address.line2,
        "city": address.city,
        "provinceCode": address.province_code,
        "zip": address.postal_code,
        "countryCode": address.country_code,
        "phone": address.phone,
    }
    return {k: v for k, v in fields.items() if v is not None}


def push_address(api: ShopifyAdmin, *, order: Order) -> dict[str, Any]:
    """The shipping address staff set, on Shopify's order (setting it twice is the same)."""
    if order.address_override is None:
        return {"status": "no_address"}
    answer = api.query(
        ADDRESS,
        {
            "input": {
                "id": gid("Order", order.channel_order_id),
                "shippingAddress": mailing_address(order.address_override),
            }
        },
    )["orderUpdate"]
    _refused(answer)
    return {"status": "address_set"}
