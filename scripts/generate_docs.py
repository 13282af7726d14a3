"""Generate docs/events.md (from oms.domain_events.CATALOGUE) and docs/openapi.json (from the admin API
resolvers, with each operation's example recorded by scripts/api_tour.py on a fresh local stack).
`make docs` writes them; tests/integration/test_docs.py fails when they are out of date, and
tests/e2e/test_api_examples.py when an example no longer gets its documented answer."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The admin API: every function built on oms.admin_api's resolver (the webhook is not part of it).
API_FUNCTIONS = tuple(
    sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py") if "= create_app(" in p.read_text())
)
_FAKE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "docs",
    "AWS_SECRET_ACCESS_KEY": "docs",
    "TABLE_NAME": "docs",
    "INTAKE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/docs.fifo",
    "JOBS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/docs-jobs",
    "RECONCILE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/docs-reconcile",
    "CATALOG_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/docs-catalog-sync.fifo",
    "EXPORT_BUCKET": "docs-exports",
    "PRIVACY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/docs-privacy",
    "EVENT_ARCHIVE_ARN": "arn:aws:events:us-east-1:123456789012:archive/docs-archive",
    "EVENT_BUS_ARN": "arn:aws:events:us-east-1:123456789012:event-bus/docs-bus",
    "OUTBOUND_RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/docs-bus/docs-outbound",
    "EVENT_BUS_NAME": "docs",
    "POWERTOOLS_METRICS_NAMESPACE": "OMS",
    "PARAMETER_PREFIX": "/oms/docs",
}


def events_markdown() -> str:
    from oms.domain_events import CATALOGUE, SCHEMA_VERSION

    lines = [
        "# Event catalogue",
        "",
        "Generated from `shared/oms/events.py` by `make docs`; do not edit by hand.",
        "",
        "Every committed change writes its events into the changed item's `outbox` attribute in the same",
        "DynamoDB write. The publisher function relays them from the table's stream to the EventBridge bus",
        "`oms-<stage>` (an archive keeps them for replay). Delivery is at least once: consumers dedupe on",
        "`detail.event_id`, which is stable across redeliveries (`<aggregate>:<version>:<n>`).",
        "",
        "## Envelope",
        "",
        "| field | value |",
        "|---|---|",
        "| `source` | `oms.orders`, `oms.shipments` or `oms.stock` |",
        "| `detail-type` | the event name below |",
        "| `time` | when the change happened (UTC) |",
        "| `detail.schema_version` | the version of the detail's schema |",
        "| `detail.event_id` | stable id of this event |",
        "",
        "## Versioning",
        "",
        f"All details are at schema version {SCHEMA_VERSION}. Adding an optional field keeps the version.",
        "Removing, renaming or changing the meaning of a field is a new version: the publisher then emits",
        "both versions (`schema_version` 1 and 2, same `event_id` prefix) for one release, so rules can",
        "move over, before the old one is dropped. Match on `detail.schema_version` in rules that need it.",
        "",
    ]
    by_model: dict[str, list[str]] = {}
    for name, (_source, model, _description) in CATALOGUE.items():
        by_model.setdefault(model.__name__, []).append(name)
    lines += ["## Events", "", "| detail-type | source | detail | when |", "|---|---|---|---|"]
    for name, (source, model, description) in CATALOGUE.items():
        lines.append(
            f"| `{name}` | `{source}` | [{model.__name__}](#{model.__name__.lower()}) | {description} |"
        )
    lines.append("")
    seen: set[str] = set()
    for _name, (_source, model, _description) in CATALOGUE.items():
        if model.__name__ in seen:
            continue
        seen.add(model.__name__)
        schema = model.model_json_schema()
        lines += [
            f"### {model.__name__}",
            "",
            (model.__doc__ or "").strip().replace("\n    ", " "),
            "",
            f"Used by: {', '.join(f'`{n}`' for n in by_model[model.__name__])}",
            "",
            "| field | type | required |",
            "|---|---|---|",
        ]
        required = set(schema.get("required", []))
        for field, spec in schema.get("properties", {}).items():
            lines.append(f"| `{field}` | {_type(spec)} | {'yes' if field in required else 'no'} |")
        lines.append("")
    return "\n".join(lines)


def _type(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return str(spec["$ref"]).split("/")[-1]
    if "anyOf" in spec:
        return " or ".join(_type(s) for s in spec["anyOf"])
    if spec.get("type") == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if "const" in spec:
        return f"`{spec['const']}`"
    if "enum" in spec:
        return " / ".join(f"`{v}`" for v in spec["enum"])
    return str(spec.get("format") or spec.get("type") or "object")


def openapi() -> dict[str, Any]:
    """One OpenAPI document for the admin API, merged from each function's resolver."""
    saved = dict(os.environ)
    os.environ.update(_FAKE_ENV)
    sys.path.insert(0, str(ROOT / "shared"))
    merged: dict[str, Any] = {}
    try:
        from oms.settings import get_settings

        for name in API_FUNCTIONS:
            get_settings.cache_clear()
            spec = importlib.util.spec_from_file_location(
                f"docs_{name}", ROOT / "functions" / name / "app.py"
            )
            assert spec
            assert spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # annotations resolve through the module's namespace
            spec.loader.exec_module(module)
            schema = json.loads(module.app.get_openapi_json_schema(title="OMS admin API", version="1.0.0"))
            if not merged:
                merged = schema
            else:
                merged["paths"].update(schema["paths"])
                merged.setdefault("components", {}).setdefault("schemas", {}).update(
                    schema.get("components", {}).get("schemas", {})
                )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    merged["info"]["description"] = (
        "Admin API of the OMS. Every route needs a JWT from the issuer configured in template.yaml"
        " (a Cognito user pool by default), sent as `Authorization: Bearer <token>`. Errors are JSON:"
        " `{code, message, errors?}` with a stable `code`; validation errors list the fields at fault."
        " Each operation's example is one step of a recorded tour (scripts/api_tour.py) on a fresh"
        " local stack: a location, a Shopify store, stock, a phone order picked, packed, labelled,"
        " shipped and delivered, a cancelled shipment allocated again, a SKU-less Shopify order"
        " mapped and retried. Replayed by the tests; only the times differ between runs."
        " Retrying safely: POST /orders and POST /orders/{order_id}/notes take an `Idempotency-Key`"
        " header as the order's reference or the note's id; every POST of the fulfilment API (allocate,"
        " pack, label, tracking, ship, cancel, delivered) with an `Idempotency-Key` answers a repeat"
        " within 24 hours with the first answer without running it again, and refuses the same key"
        " on another request (422 `idempotency_key_reused`)."
    )
    merged["servers"] = [{"url": "http://127.0.0.1:3000", "description": "make run"}]
    merged.setdefault("components", {})["securitySchemes"] = {
        "OmsJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    merged["security"] = [{"OmsJwt": []}]
    merged["paths"] = dict(sorted(merged["paths"].items()))
    return merged


STATES_BEGIN, STATES_END = "<!-- states:begin (make docs) -->", "<!-- states:end -->"


def state_diagram() -> str:
    """The lifecycle table (oms.order_lifecycle.TRANSITIONS) as a mermaid state diagram."""
    from oms.order_lifecycle import TRANSITIONS

    lines = ["```mermaid", "stateDiagram-v2"]
    for source, targets in TRANSITIONS.items():
        for target in sorted(targets, key=lambda t: t.value):
            if source == target:
                continue
            lines.append(f"    {'[*]' if source is None else source.value} --> {target.value}")
    lines.append("    refunded --> [*]")
    lines.append("```")
    return "\n".join(lines)


def with_state_diagram(text: str) -> str:
    head, _, rest = text.partition(STATES_BEGIN)
    _, _, tail = rest.partition(STATES_END)
    return f"{head}{STATES_BEGIN}\n{state_diagram()}\n{STATES_END}{tail}"


def recorded_examples() -> list[dict[str, Any]]:
    """The API tour run on a fresh local stack, in a process of its own (scripts/api_tour.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.api_tour", "--record"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode:
        raise SystemExit(f"the API tour failed:\n{done.stdout}{done.stderr}")
    examples: list[dict[str, Any]] = json.loads(done.stdout)
    return examples


def with_examples(document: dict[str, Any], examples: list[dict[str, Any]]) -> dict[str, Any]:
    """Each operation's recorded request and answer, as OpenAPI ``example`` fields."""
    document = copy.deepcopy(document)
    for example in examples:
        method, path = example["operation"].split(" ", 1)
        operation = document["paths"][path][method.lower()]
        values = {"path": example["params"], "query": example["query"], "header": example.get("headers", {})}
        for parameter in operation.get("parameters", []):
            value = values.get(parameter["in"], {}).get(parameter["name"])
            if value is not None:
                parameter["example"] = value
        if example["body"] is not None:
            operation["requestBody"]["content"]["application/json"]["example"] = example["body"]
        response = operation["responses"][str(example["status"])]
        response.setdefault("content", {}).setdefault("application/json", {})["example"] = example["answer"]
    return document


def without_examples(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the code alone generates it (what the freshness test compares)."""
    document = copy.deepcopy(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter.pop("example", None)
            operation.get("requestBody", {}).get("content", {}).get("application/json", {}).pop(
                "example", None
            )
            for response in operation["responses"].values():
                content = response.get("content", {})
                if (
                    content.get("application/json", {}).pop("example", None) is not None
                    and not content["application/json"]
                ):
                    del content["application/json"]
                if "content" in response and not content:
                    del response["content"]
    return document


def write() -> list[Path]:
    events = ROOT / "docs" / "events.md"
    spec = ROOT / "docs" / "openapi.json"
    events.parent.mkdir(exist_ok=True)
    events.write_text(events_markdown() + "\n")
    document = with_examples(openapi(), recorded_examples())
    spec.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    architecture = ROOT / "docs" / "architecture.md"
    architecture.write_text(with_state_diagram(architecture.read_text()))
    return [events, spec, architecture]


if __name__ == "__main__":
    for path in write():
        print(path.relative_to(ROOT))
