"""Plain JSON-shaped Python values <-> DynamoDB attribute values.

Smaller and faster than boto3's TypeSerializer for our documents: everything we store comes from
``model_dump(mode="json")`` (strings, ints, bools, None, lists, dicts); money stays a string so
the channel's exact figure is kept.
"""

from __future__ import annotations

import base64
import json
import zlib
from decimal import Decimal
from typing import Any


def to_attr(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in values.items()}


def _number(text: str) -> int | float:
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return _number(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "B":  # bytes from boto3; base64 text in a Lambda stream event
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "SS":
        return list(value)
    if kind == "NS":
        return [_number(v) for v in value]
    raise TypeError(f"unsupported attribute type {kind}")


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def pack(value: Any) -> bytes:
    """JSON, compressed: large documents cost fewer write units (billed per KB, twice in a
    transaction) and this is cheaper than walking them attribute by attribute."""
    data = value if isinstance(value, bytes | str) else json.dumps(value, separators=(",", ":"))
    return zlib.compress(data.encode() if isinstance(data, str) else data, 6)


def unpack(value: bytes | str) -> Any:
    raw = base64.b64decode(value) if isinstance(value, str) else value
    return json.loads(zlib.decompress(raw))
