"""Generated docs are current: docs/events.md and docs/openapi.json match the code."""

import json

from oms_local.cloud import ROOT
from scripts.generate_docs import events_markdown, openapi


def test_event_catalogue_is_current() -> None:
    assert (ROOT / "docs" / "events.md").read_text() == events_markdown() + "\n", "run: make docs"


def test_openapi_document_is_current_and_covers_every_admin_route() -> None:
    document = openapi()
    assert json.loads((ROOT / "docs" / "openapi.json").read_text()) == document, "run: make docs"
    from oms_local.routes import http_routes
    from oms_local.template import load

    stack = load(ROOT / "template.yaml")
    stack.refs.update({lid: lid for lid in stack.resources})
    stack.attrs.update(
        {lid: {"Arn": f"arn:aws:lambda:us-east-1:123456789012:function:{lid}"} for lid in stack.resources}
    )
    routes, _ = http_routes(stack)
    admin = {(r.method.lower(), r.path) for r in routes if r.authorizer}
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert admin == documented


def test_the_state_diagram_is_the_lifecycle_table() -> None:
    from scripts.generate_docs import state_diagram

    text = (ROOT / "docs" / "architecture.md").read_text()
    assert state_diagram() in text, "run: make docs"
