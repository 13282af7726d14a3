"""What the browser tests share: Debian's Chromium driven by Playwright, axe-core injected into a
page, screenshots kept in test-output/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oms_local.cloud import ROOT

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "tests" / "e2e" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-output" / "screenshots"
# Chromium as root in a closed network: no sandbox, and none of its background connections.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ready() -> None:
    assert Path(CHROMIUM).exists(), "make test installs Debian's chromium (make browser)"
    assert AXE.exists(), "make test installs axe-core (make browser)"


def accessibility_violations(page: Any, *, serious: bool = False) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (only serious and critical ones when
    ``serious``). Pages forbid inline scripts, so axe goes in through the DevTools protocol (which
    CSP does not govern) rather than a <script> tag."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "target": v["nodes"][0]["target"]}
        for v in result["violations"]
        if not serious or v["impact"] in ("serious", "critical")
    ]


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
