"""The admin API's shared path and query parameters (one place for their patterns and bounds)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from oms.identifiers import (
    LOCATION_ID_PATTERN,
    ORDER_ID_MAX_LENGTH,
    SHIPMENT_ID_PATTERN,
    STORE_ID_PATTERN,
)

Cursor = Annotated[str | None, Query(max_length=4000, description="From the previous page's cursor")]
OrderId = Annotated[str, Path(min_length=1, max_length=ORDER_ID_MAX_LENGTH)]
ShipmentId = Annotated[
    str, Path(min_length=3, max_length=ORDER_ID_MAX_LENGTH + 6, pattern=SHIPMENT_ID_PATTERN)
]
StoreId = Annotated[str, Path(pattern=STORE_ID_PATTERN)]
LocationId = Annotated[str, Path(pattern=LOCATION_ID_PATTERN)]
LocationQuery = Annotated[str, Query(pattern=LOCATION_ID_PATTERN)]
Sku = Annotated[str, Path(min_length=1, max_length=100)]

Limit100 = Annotated[int, Query(ge=1, le=100, description="Items per page (1 to 100)")]
Limit200 = Annotated[int, Query(ge=1, le=200, description="Items per page (1 to 200)")]
