"""The local stack as `make run` starts it, on free ports, inside the test run."""

from __future__ import annotations

import io
import json
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

    def troubles(self, since: int, most: int = 40) -> list[str]:
        """The functions' warnings, errors and unformatted lines (tracebacks) from ``since`` on."""
        kept = []
        for function, line in self.lines[since:]:
            try:
                level = json.loads(line).get("level", "INFO")
            except (ValueError, AttributeError):
                level = "TEXT"
            if level not in ("DEBUG", "INFO"):
                kept.append(f"{function}: {line}")
        return kept[-most:]


_captured = Captured()


@pytest.fixture(scope="package")
def logs() -> Captured:
    return _captured


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test of the local stack shows what its functions complained of meanwhile."""
    if call.when == "setup":
        item.stash[_LOG_START] = len(_captured.lines)
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and call.when == "call":
        troubles = _captured.troubles(item.stash.get(_LOG_START, 0))
        if troubles:
            report.sections.append(("local stack: function warnings and errors", "\n".join(troubles)))


_LOG_START = pytest.StashKey[int]()


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
