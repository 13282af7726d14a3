"""Generated docs are current: docs/events.md and docs/openapi.json match the code."""

import json

from oms_local.cloud import ROOT
from scripts.api_tour import documented, examples_in
from scripts.generate_docs import events_markdown, openapi, with_examples, without_examples


def test_event_catalogue_is_current() -> None:
    assert (ROOT / "docs" / "events.md").read_text() == events_markdown() + "\n", "run: make docs"


def test_openapi_document_is_current_and_covers_every_admin_route() -> None:
    document = openapi()
    written = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert without_examples(written) == document, "run: make docs"
    from oms_local.routes import http_routes
    from oms_local.template import load

    stack = load(ROOT / "template.yaml")
    stack.refs.update({lid: lid for lid in stack.resources})
    stack.attrs.update(
        {
            lid: {
                "Arn": f"arn:aws:lambda:us-east-1:123456789012:function:{lid}",
                "DomainName": f"{lid.lower()}.example",  # the app's CDN, named by the API's CORS
            }
            for lid in stack.resources
        }
    )
    routes, _ = http_routes(stack)
    admin = {(r.method.lower(), r.path) for r in routes if r.authorizer}
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert admin == documented


def test_the_state_diagram_is_the_lifecycle_table() -> None:
    from scripts.generate_docs import state_diagram

    text = (ROOT / "docs" / "architecture.md").read_text()
    assert state_diagram() in text, "run: make docs"


def test_every_operation_in_the_openapi_document_has_a_recorded_example() -> None:
    written = json.loads((ROOT / "docs" / "openapi.json").read_text())
    operations = {f"{m.upper()} {p}" for p, ops in written["paths"].items() for m in ops}
    examples = examples_in(written)
    assert set(examples) == operations == {step.operation for step in documented()}
    for name, example in examples.items():
        method, path = name.split(" ", 1)
        operation = written["paths"][path][method.lower()]
        if "requestBody" in operation and operation["requestBody"].get("required"):
            assert "body" in example, f"{name}: its required body has no example"
        path_params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert set(example["params"]) == path_params, f"{name}: a path parameter has no example"


def test_examples_merge_into_the_document_and_strip_out_of_it_again() -> None:
    document = openapi()
    example = {
        "operation": "PUT /stock/{sku}",
        "params": {"sku": "EX-MUG"},
        "query": {},
        "body": {"locations": [{"location": "wh-example", "on_hand": 40}]},
        "status": 200,
        "answer": {"sku": "EX-MUG"},
    }
    merged = with_examples(document, [example])
    found = examples_in(merged)["PUT /stock/{sku}"]
    assert found == {
        "params": {"sku": "EX-MUG"},
        "query": {},
        "headers": {},
        "body": example["body"],
        "status": 200,
        "answer": {"sku": "EX-MUG"},
    }
    assert without_examples(merged) == document
