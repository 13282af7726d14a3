"""Every key format of the single table, in one place (see docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime

from oms.timeutil import iso

# GSI1: orders by store; registries (stores, locations, SKUs); shipments by location and status.
# GSI2: orders by status; shipments due a tracking check.
# GSI3: orders by year of placement (the unfiltered, date-ordered listing).
GSI_BY_STORE = "GSI1"
GSI_BY_STATUS = "GSI2"
GSI_BY_YEAR = "GSI3"
# GSI4 (sparse): orders waiting for stock (backordered lines, or held out of stock), oldest first.
GSI_WAITING = "GSI4"
WAITING_ORDERS = "WAITING"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


ORDER_SK = "ORDER"


def order_sort(placed_at: datetime, order_id: str) -> str:
    return f"{iso(placed_at)}#{order_id}"


def store_orders(store_id: str) -> str:
    return f"STORE#{store_id}"


def status_orders(status: str) -> str:
    return f"STATUS#{status}"


def year_orders(placed_at: datetime) -> str:
    return f"ORDERS#{placed_at:%Y}"


def sku_pk(sku: str) -> str:
    return f"SKU#{sku}"


SKU_TOTAL_SK = "TOTAL"


SKU_LOCATION_PREFIX = "LOC#"


def sku_location_sk(location: str) -> str:
    return f"{SKU_LOCATION_PREFIX}{location}"


# A store's listing of a SKU (oms.inventory_sync), in the SKU's partition: one Query reads the
# SKU's stock and every store's listing of it.
LISTING_PREFIX = "LISTING#"


def listing_sk(store_id: str) -> str:
    return f"{LISTING_PREFIX}{store_id}"


def store_alert_sk(kind: str) -> str:
    """A staff alert about a store raised at most once per while (its item expires)."""
    return f"ALERT#{kind}"


SKUS = "SKUS"
STORES = "STORES"
LOCATIONS = "LOCATIONS"


def store_pk(store_id: str) -> str:
    return f"STORE#{store_id}"


STORE_SK = "STORE"
RECONCILIATION_SK = "RECONCILIATION"  # the store's reconciliation watermark and last run
CATALOG_SK = "CATALOG"
SYNC_HEALTH_SK = "SYNC_HEALTH"  # the store's last stock push the channel refused
PRIVACY_SK = "PRIVACY"
SUBSCRIPTION_SK = "SUBSCRIPTION"
RETURN_PREFIX = "RETURN#"
RETURNS = "RETURNS"
RETURN_TRACKING = "RETURN_TRACKING"  # GSI2: return parcels due a tracking check


def return_sk(return_id: str) -> str:
    """A return, in its order's partition (oms.returns)."""
    return f"{RETURN_PREFIX}{return_id}"


def returns_in(status: str) -> str:
    return f"RETURNS#{status}"


SUBSCRIPTIONS = "SUBSCRIPTIONS"
REPLAY_SK = "REPLAY"


def subscription_pk(subscription_id: str) -> str:
    """An outbound webhook subscription (oms.outbound_webhooks)."""
    return f"SUBSCRIPTION#{subscription_id}"


def replay_pk(name: str) -> str:
    """An archive replay staff asked for one subscription."""
    return f"REPLAY#{name}"


def privacy_pk(request_id: str) -> str:
    """A privacy request's record (oms.privacy): counts and ids, never the person."""
    return f"PRIVACY#{request_id}"  # the store's catalogue sync: the run under way or the last one


def location_pk(location_id: str) -> str:
    return f"LOCATION#{location_id}"


LOCATION_SK = "LOCATION"


SHIPMENT_PREFIX = "SHIPMENT#"


def shipment_sk(shipment_id: str) -> str:
    return f"{SHIPMENT_PREFIX}{shipment_id}"


def pick_queue(location: str) -> str:
    return f"PICK#{location}"


TRACKING_DUE = "TRACKING"


# Order operations committed in stages (oms.data.staged_commit), for the sweep of those left behind.
STAGED_OPS = "OPS"


def variant_sk(variant_key: str) -> str:
    return f"VARIANT#{variant_key}"


def store_variants(store_id: str) -> str:
    return f"VARIANTS#{store_id}"


# The order search index (oms.data.order_search_index): one item per term of an order, in the
# order's own term partition; GSI1 finds the orders of a term value, newest first.
def order_terms_pk(order_id: str) -> str:
    return f"TERMS#{order_id}"


def term_sk(kind: str, value: str) -> str:
    return f"{kind}#{value}"


def term_orders(value: str) -> str:
    return f"FIND#{value}"


# Bulk jobs (oms.bulk_jobs): the job, and one result item per order in its partition.
def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


JOB_SK = "JOB"
JOBS = "JOBS"
RESULT_PREFIX = "RESULT#"


def result_sk(order_id: str) -> str:
    return f"{RESULT_PREFIX}{order_id}"


def export_pk(export_id: str) -> str:
    return f"EXPORT#{export_id}"


EXPORT_SK = "EXPORT"
