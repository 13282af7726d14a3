"""Reading WooCommerce's orders for reconciliation (oms.missed_orders), through its REST API v3.

``changed`` lists the orders modified in a window, oldest change first, 100 a page with only their
id and ``date_modified_gmt`` (``GET /orders?modified_after=…&modified_before=…&dates_are_gmt=true
&orderby=modified&order=asc&_fields=id,date_modified_gmt``). Pages are numbered: an order modified
again while the window is read leaves it (its new time is after ``until``) and is in the next
window instead. ``fetch`` reads one order (``GET /orders/{id}``): the same resource the
``order.updated`` webhook carries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from oms.integrations.http_transport import HttpError, Transport, call_json
from oms.integrations.woocommerce_rest import basic_auth
from oms.missed_orders import ChannelOrderVersion

PAGE = 100  # WooCommerce's largest per_page


def _gmt(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class WooCommerceOrderReads:
    def __init__(
        self, transport: Transport, *, site_url: str, consumer_key: str, consumer_secret: str
    ) -> None:
        self.transport = transport
        self.base = f"{site_url.rstrip('/')}/wp-json/wc/v3/orders"
        self.headers = basic_auth(consumer_key, consumer_secret)

    def _get(self, url: str) -> Any:
        return call_json(
            self.transport, "GET", url, headers=self.headers, payload=None, service="WooCommerce"
        )

    def changed(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[ChannelOrderVersion], str | None]:
        page = int(cursor or 1)
        query = urlencode(
            {
                "modified_after": _gmt(since),
                "modified_before": _gmt(until),
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "asc",
                "status": "any",
                "per_page": PAGE,
                "page": page,
                "_fields": "id,date_modified_gmt",
            }
        )
        found = self._get(f"{self.base}?{query}") or []
        listed = [
            ChannelOrderVersion(
                channel_order_id=str(o["id"]),
                updated_at=datetime.fromisoformat(str(o["date_modified_gmt"])).replace(tzinfo=UTC),
            )
            for o in found
            if isinstance(o, dict) and o.get("id") is not None and o.get("date_modified_gmt")
        ]
        return listed, (str(page + 1) if len(found) >= PAGE else None)

    def fetch(self, channel_order_id: str) -> dict[str, Any] | None:
        try:
            order = self._get(f"{self.base}/{int(channel_order_id)}")
        except HttpError as error:
            if error.status == 404:  # deleted (or trashed for good) since it was listed
                return None
            raise
        return order if isinstance(order, dict) else None
