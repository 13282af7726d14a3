"""docs/openapi.json's examples are true: each, sent to a fresh local stack in the tour's order,
gets its documented status and answer (scripts/api_tour.py; times aside)."""

from __future__ import annotations

import os
import subprocess
import sys

from oms_local.cloud import ROOT
from scripts.api_tour import documented


def test_every_documented_example_gets_its_documented_answer_from_a_fresh_local_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.api_tour", "--replay"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("local", "shared", "."))},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    replayed = len(list(documented()))
    assert done.stdout.strip().endswith(f"{replayed} documented operations replayed, 0 problems")
