"""The local stack as `make run` starts it, on free ports, inside the test run."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest

from oms_local.logs import LogPrinter
from oms_local.runner import DEFAULT_TIME_SCALE, Running, start
from tests.stack import aws, shopify_secret, woo_secret  # noqa: F401 - fixtures


class Captured:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, function: str, line: str) -> None:
        self.lines.append((function, line))


@pytest.fixture(scope="package")
def logs() -> Captured:
    return Captured()


@pytest.fixture(scope="package")
def local(logs: Captured) -> Iterator[Running]:
    saved = dict(os.environ)
    # As `make run` starts it: an hour of schedules per second.
    running = start(
        port=0, time_scale=DEFAULT_TIME_SCALE, printer=LogPrinter(stream=io.StringIO(), keep=logs)
    )
    try:
        yield running
    finally:
        running.close()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (tests/e2e/pages.py)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.pages import ARGS, CHROMIUM, ready

    ready()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
