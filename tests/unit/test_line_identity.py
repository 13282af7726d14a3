"""How a line finds its stock item (oms.line_identity), rule by rule."""

from __future__ import annotations

import pytest

from oms.line_identity import VariantMapping, handling_of, seen_variants, unmapped_keys, variant_key
from oms.models import LineHandling, LineItem, StoreSettings
from oms.money import Money
from tests.unit.builders import NOW, STORE, shopify_payload, snapshot

H = LineHandling


def line(**fields: object) -> LineItem:
    base: dict[str, object] = {
        "line_id": "1",
        "name": "Thing",
        "quantity": 1,
        "unit_price": Money.of("5.00", "USD"),
        "line_total": Money.of("5.00", "USD"),
        "variant_id": "77",
        "product_id": "7",
    }
    return LineItem.model_validate(base | fields)


def mapping(**fields: object) -> VariantMapping:
    return VariantMapping.model_validate({"store_id": STORE, "variant_key": "v77", "mapped": True} | fields)


@pytest.mark.parametrize(
    ("item", "settings", "mapped", "expected"),
    [
        (line(sku="A"), StoreSettings(), None, (H.STOCK, "A")),
        (line(sku="A", requires_shipping=False), StoreSettings(), None, (H.NONE, None)),
        (line(sku=None, gift_card=True, requires_shipping=False), StoreSettings(), None, (H.NONE, None)),
        (line(sku=None, gift_card=True), StoreSettings(), None, (H.SHIP, None)),
        (line(sku="A"), StoreSettings(), mapping(stock_tracked=False), (H.SHIP, None)),
        (line(sku=None), StoreSettings(), mapping(sku="B"), (H.STOCK, "B")),
        (line(sku="A"), StoreSettings(), mapping(sku="B"), (H.STOCK, "B")),
        (line(sku=None), StoreSettings(), mapping(sku="B", mapped=False), (H.UNIDENTIFIED, None)),
        (line(sku="MTO-1"), StoreSettings(untracked_sku_prefixes=["MTO-"]), None, (H.SHIP, None)),
        (
            line(sku="A", product_type="Service"),
            StoreSettings(untracked_product_types=["Service"]),
            None,
            (H.SHIP, None),
        ),
        (line(sku="A", inventory_tracked=False), StoreSettings(), None, (H.SHIP, None)),
        (
            line(sku="A", inventory_tracked=False),
            StoreSettings(trust_channel_inventory_tracking=False),
            None,
            (H.STOCK, "A"),
        ),
        (line(sku=None, inventory_tracked=True), StoreSettings(), None, (H.UNIDENTIFIED, None)),
        (line(sku=None), StoreSettings(), None, (H.UNIDENTIFIED, None)),
    ],
)
def test_each_rule_decides_what_a_line_needs(
    item: LineItem,
    settings: StoreSettings,
    mapped: VariantMapping | None,
    expected: tuple[LineHandling, str | None],
) -> None:
    assert handling_of(item, settings, mapped) == expected


def test_a_variant_is_keyed_by_its_variant_id_else_its_product() -> None:
    assert variant_key(line()) == "v77"
    assert variant_key(line(variant_id=None)) == "p7"
    assert variant_key(line(variant_id=None, product_id=None)) is None


def test_variants_without_a_sku_are_remembered_once_with_their_name() -> None:
    payload = shopify_payload(lines={"A": 1, "B": 1})
    payload["line_items"][0].update(sku="", variant_id=11, name="Hoodie M")
    payload["line_items"][1].update(sku="", variant_id=11, name="Hoodie M")
    order = snapshot(payload)
    assert unmapped_keys(order) == ["v11"]
    (seen,) = seen_variants(order, {}, NOW)
    assert (seen.variant_key, seen.name, seen.mapped, seen.first_seen_at) == ("v11", "Hoodie M", False, NOW)
    assert seen_variants(order, {"v11": seen}, NOW) == []
