"""How a line finds its stock item, and whether it needs stock or shipping at all.

A line's stock item is its SKU when it has one. A line without a SKU (many shops never fill
them in) is identified by the channel's variant (or, lacking one, product) id, through the
store's variant map: staff map a variant to a SKU, or mark it as holding no stock, with
``PUT /stores/{store_id}/variants/{variant_key}``. Variants seen without a SKU are recorded in that
map as they arrive, so staff can find them (``GET /stores/{store_id}/variants?mapped=false``).

The rules, first that applies:
1. the channel says the line does not ship (``requires_shipping: false``: downloads, tickets,
   services, digital gift cards): nothing to reserve, nothing to ship;
2. a gift card that ships (a printed card): shipped, no stock kept;
3. the variant map says the variant holds no stock: shipped, no stock;
4. the store's rules (SKU prefix, product type) say it holds no stock: shipped, no stock;
5. the channel says it does not track the item's inventory (Shopify: no inventory management),
   and the store trusts that (``trust_channel_inventory_tracking``): shipped, no stock;
6. the variant map names a SKU, or the line has one: reserve that SKU, then ship;
7. otherwise the line needs stock and has no identity: the order waits, on hold ``unknown_sku``,
   until staff map the variant (then ``POST /orders/{id}/retry`` or the channel's next update).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from oms.models import LineHandling, LineItem, Model, OrderSnapshot, StoreSettings
from oms.timeutil import UtcDateTime

VARIANT_KEY_PATTERN = r"^[vp][A-Za-z0-9_-]{1,64}$"


def variant_key(line: LineItem) -> str | None:
    """The key of the channel's variant a line sells (``v<id>``), or its product (``p<id>``)."""
    if line.variant_id:
        return f"v{line.variant_id}"
    if line.product_id:
        return f"p{line.product_id}"
    return None


class VariantMapping(Model):
    """One entry of a store's variant map: what a channel variant without a SKU is, for stock."""

    store_id: str
    variant_key: Annotated[str, StringConstraints(pattern=VARIANT_KEY_PATTERN)]
    name: str | None = None  # the product name as the channel last sent it
    sku: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    stock_tracked: bool = True
    mapped: bool = False  # staff decided (a SKU, or no stock); False: only seen on orders
    first_seen_at: UtcDateTime | None = None
    mapped_at: UtcDateTime | None = None
    mapped_by: str | None = None


def handling_of(
    line: LineItem, settings: StoreSettings, mapping: VariantMapping | None
) -> tuple[LineHandling, str | None]:
    """The line's handling and stock item (see the module's rules)."""
    mapped = mapping if mapping is not None and mapping.mapped else None
    if not line.requires_shipping:
        return LineHandling.NONE, None
    if line.gift_card:
        return LineHandling.SHIP, None
    if mapped is not None and not mapped.stock_tracked:
        return LineHandling.SHIP, None
    sku = (mapped.sku if mapped is not None else None) or line.sku
    if sku and any(sku.startswith(prefix) for prefix in settings.untracked_sku_prefixes):
        return LineHandling.SHIP, None
    if line.product_type and line.product_type in settings.untracked_product_types:
        return LineHandling.SHIP, None
    if line.inventory_tracked is False and settings.trust_channel_inventory_tracking:
        return LineHandling.SHIP, None
    if sku:
        return LineHandling.STOCK, sku
    return LineHandling.UNIDENTIFIED, None


def resolve(
    snapshot: OrderSnapshot, settings: StoreSettings, mappings: Mapping[str, VariantMapping]
) -> OrderSnapshot:
    """The snapshot with every line's handling and stock item decided."""
    lines = []
    for line in snapshot.lines:
        key = variant_key(line)
        handling, sku = handling_of(line, settings, mappings.get(key) if key else None)
        lines.append(line.model_copy(update={"handling": handling, "stock_sku": sku}))
    return snapshot.model_copy(update={"lines": lines})


def unmapped_keys(snapshot: OrderSnapshot) -> list[str]:
    """Variant keys of lines that carry no SKU: the ones the variant map may know."""
    return sorted({k for line in snapshot.lines if not line.sku and (k := variant_key(line))})


def seen_variants(
    snapshot: OrderSnapshot, known: Mapping[str, VariantMapping], at: datetime
) -> list[VariantMapping]:
    """Variants without a SKU that this order shows and the map does not have yet (to record)."""
    out: dict[str, VariantMapping] = {}
    for line in snapshot.lines:
        key = variant_key(line)
        if line.sku or not key or key in known or key in out:
            continue
        out[key] = VariantMapping(
            store_id=snapshot.store_id, variant_key=key, name=line.name, first_seen_at=at
        )
    return list(out.values())
