"""Ids, channel names and id patterns, in one place.

Standard library only: the pydantic models and the pydantic-free webhook path both import it.
"""

from __future__ import annotations

import re

SHOPIFY = "shopify"
WOOCOMMERCE = "woocommerce"
BIGCOMMERCE = "bigcommerce"
MANUAL = "manual"
# Channels that deliver webhooks (manual orders come through the admin API).
WEBHOOK_CHANNELS = (SHOPIFY, WOOCOMMERCE, BIGCOMMERCE)

STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"
CHANNEL_ORDER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
LOCATION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
COUNTRY_CODE_PATTERN = r"^[A-Z]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
SHOP_DOMAIN_PATTERN = r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$"
# A BigCommerce store's hash: the path segment of its API (api.bigcommerce.com/stores/<hash>).
STORE_HASH_PATTERN = r"^[a-z0-9]{1,32}$"
# <store>.<channel order id>-S<n>
SHIPMENT_ID_PATTERN = r"^[A-Za-z0-9._:-]+-S\d{1,4}$"
ORDER_ID_MAX_LENGTH = 40 + 1 + 64
# <order id>-R<n> (a return), <order id>-C<n> (a claim)
RETURN_ID_PATTERN = r"^[A-Za-z0-9._:-]+-R\d{1,4}$"

_STORE_ID = re.compile(STORE_ID_PATTERN)
_CHANNEL_ORDER_ID = re.compile(CHANNEL_ORDER_ID_PATTERN)


def is_store_id(value: str) -> bool:
    return bool(_STORE_ID.match(value))


def is_channel_order_id(value: str) -> bool:
    return bool(_CHANNEL_ORDER_ID.match(value))


def order_id_for(store_id: str, channel_order_id: str) -> str:
    """Our order id: deterministic from the order's key, so every redelivery finds the same order.

    A store belongs to exactly one channel, so (store, channel order id) is the full key.
    """
    if not is_store_id(store_id):
        raise ValueError(f"invalid store id {store_id!r}")
    if not is_channel_order_id(channel_order_id):
        raise ValueError(f"invalid channel order id {channel_order_id!r}")
    return f"{store_id}.{channel_order_id}"


def shipment_id_for(order_id: str, n: int) -> str:
    return f"{order_id}-S{n}"


def order_id_of_shipment(shipment_id: str) -> str:
    return shipment_id.rsplit("-S", 1)[0]


def return_id_for(order_id: str, n: int) -> str:
    return f"{order_id}-R{n}"


def order_id_of_return(return_id: str) -> str:
    return return_id.rsplit("-R", 1)[0]


def claim_id_for(order_id: str, n: int) -> str:
    return f"{order_id}-C{n}"


def replacement_order_ref(channel_order_id: str, of: str) -> str:
    """The channel order id of the order that ships a return's exchange or a claim's reshipment
    (``of``: "R1", "C2"): derived, so doing it again finds the same order."""
    ref = f"{channel_order_id}-{of}"
    if len(ref) <= 64:
        return ref
    import hashlib

    return f"{hashlib.sha256(channel_order_id.encode()).hexdigest()[:40]}-{of}"
