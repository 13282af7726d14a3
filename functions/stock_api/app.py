"""Admin API for stock: GET /stock, GET|PUT /stock/{sku}, GET /locations, PUT /locations/{location_id}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, json_response, model_response, responses, staff_actor
from oms.admin_requests import LocationUpdate, StockUpdate
from oms.admin_responses import LocationPage, LocationStock, SkuStock, StockPage
from oms.api_params import Cursor, Limit100, LocationId, Sku
from oms.data.stock_repository import StockRepository
from oms.data.store_repository import LocationRepository
from oms.errors import BadRequest
from oms.models import Address, Location
from oms.observability import lambda_handler_of, logger
from oms.services.stock_desk import StockDesk
from oms.timeutil import utcnow

app = create_app()
stock = StockRepository()
desk = StockDesk(stock)
locations = LocationRepository(stock.table)


def _levels(sku: str) -> SkuStock:
    total, per_location = stock.levels(sku)
    return SkuStock(
        sku=sku,
        on_hand=total.on_hand,
        reserved=total.reserved,
        available=total.available,
        locations=[LocationStock.model_validate(lv.model_dump(exclude={"sku"})) for lv in per_location],
    )


@app.get(
    "/stock",
    summary="SKUs with their total stock",
    tags=["stock"],
    responses=responses(200, 400, model=StockPage),
)
def list_stock(limit: Limit100 = 50, cursor: Cursor = None) -> Any:
    page = stock.list(limit=limit, cursor=cursor)
    return json_response(200, {"stock": page.items, "cursor": page.cursor})


@app.get(
    "/stock/<sku>",
    summary="Stock of one SKU: total and per location",
    tags=["stock"],
    responses=responses(200, 404, model=SkuStock),
)
def get_stock(sku: Sku) -> Any:
    return model_response(200, _levels(sku))


@app.put(
    "/stock/<sku>",
    summary="Set counted on-hand per location",
    tags=["stock"],
    responses=responses(200, 400, 404, 409, model=SkuStock),
)
def put_stock(sku: Sku, body: StockUpdate) -> Any:
    counts = {count.location: count.on_hand for count in body.locations}
    if len(counts) != len(body.locations):
        raise BadRequest("a location appears more than once", code="duplicate_location")
    desk.count(sku, counts, at=utcnow(), actor=staff_actor(app), reason=body.reason)
    logger.info("stock counted", extra={"sku": sku, "locations": sorted(counts)})
    return model_response(200, _levels(sku))


@app.get(
    "/locations", summary="Stock locations", tags=["stock"], responses=responses(200, 400, model=LocationPage)
)
def list_locations(limit: Limit100 = 100, cursor: Cursor = None) -> Any:
    page = locations.list(limit=limit, cursor=cursor)
    return json_response(200, {"locations": page.items, "cursor": page.cursor})


@app.put(
    "/locations/<location_id>",
    summary="Create or update a stock location",
    tags=["stock"],
    responses=responses(200, model=Location),
)
def put_location(location_id: LocationId, body: LocationUpdate) -> Any:
    fields = dict(body)
    if body.address is not None:
        fields["address"] = Address(**body.address.model_dump())
    location = Location(location_id=location_id, updated_at=utcnow(), **fields)
    locations.put(location)
    return model_response(200, location)


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
