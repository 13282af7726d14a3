"""The security tier runs on in-process moto (tests/stack.py)."""

from tests.stack import (  # noqa: F401 - fixtures
    FULFILMENT,
    aws,
    full_shop,
    isolated_shop,
    shared_shop,
    shop,
    shopify_secret,
    stack,
    woo_secret,
)
