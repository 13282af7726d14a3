"""Admin API for stock: GET /stock, GET|PUT /stock/{sku}, GET /locations, PUT /locations/{location_id}."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.admin_api import create_app, json_response, responses, staff_actor
from oms.data.stock_repository import StockRepository
from oms.data.store_repository import LocationRepository
from oms.errors import BadRequest
from oms.identifiers import LOCATION_ID_PATTERN
from oms.models import Address, Location
from oms.observability import lambda_handler_of, logger
from oms.timeutil import utcnow

app = create_app()
stock = StockRepository()
locations = LocationRepository(stock.table)

LocationId = Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)]


class LocationCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: LocationId
    on_hand: int = Field(ge=0, le=10_000_000)


class StockUpdate(BaseModel):
    """Counted on-hand per location. Reserved stock is never changed by a count."""

    model_config = ConfigDict(extra="forbid")

    locations: list[LocationCount] = Field(min_length=1, max_length=50)


Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ShipFrom(Address):
    """A location's address, as staff enter it (bounded, unlike what channels send)."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    company: Text | None = None
    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    province: Text | None = None
    province_code: Annotated[str, StringConstraints(max_length=10)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    address: ShipFrom | None = Field(default=None, description="Where labels ship from")
    ships_to: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list, description="Countries this location ships to; empty means anywhere"
    )
    active: bool = True


Sku = Annotated[str, Path(min_length=1, max_length=100)]


def _levels(sku: str) -> dict[str, Any]:
    total, per_location = stock.levels(sku)
    return {
        "sku": sku,
        "on_hand": total.on_hand,
        "reserved": total.reserved,
        "available": total.available,
        "locations": [lv.model_dump(mode="json", exclude={"sku"}) for lv in per_location],
    }


@app.get("/stock", summary="SKUs with their total stock", tags=["stock"], responses=responses(200, 400))
def list_stock(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
) -> Any:
    page = stock.list(limit=limit, cursor=cursor)
    return json_response(200, {"stock": page.items, "cursor": page.cursor})


@app.get(
    "/stock/<sku>",
    summary="Stock of one SKU: total and per location",
    tags=["stock"],
    responses=responses(200, 404),
)
def get_stock(sku: Sku) -> Any:
    return json_response(200, _levels(sku))


@app.put(
    "/stock/<sku>",
    summary="Set counted on-hand per location",
    tags=["stock"],
    responses=responses(200, 400, 404, 409),
)
def put_stock(sku: Sku, body: StockUpdate) -> Any:
    counts = {count.location: count.on_hand for count in body.locations}
    if len(counts) != len(body.locations):
        raise BadRequest("a location appears more than once", code="duplicate_location")
    stock.set_counts(sku, counts, at=utcnow(), actor=staff_actor(app))
    logger.info("stock counted", extra={"sku": sku, "locations": sorted(counts)})
    return json_response(200, _levels(sku))


@app.get("/locations", summary="Stock locations", tags=["stock"], responses=responses(200, 400))
def list_locations(
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
) -> Any:
    page = locations.list(limit=limit, cursor=cursor)
    return json_response(200, {"locations": page.items, "cursor": page.cursor})


@app.put(
    "/locations/<location_id>",
    summary="Create or update a stock location",
    tags=["stock"],
    responses=responses(200),
)
def put_location(location_id: Annotated[str, Path(pattern=LOCATION_ID_PATTERN)], body: LocationUpdate) -> Any:
    fields = dict(body)
    if body.address is not None:
        fields["address"] = Address(**body.address.model_dump())
    location = Location(location_id=location_id, updated_at=utcnow(), **fields)
    locations.put(location)
    return json_response(200, location.model_dump(mode="json"))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
