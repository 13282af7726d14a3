"""Cold start: a fresh process importing each function's handler with its template environment
(module-scope clients created), against a baseline process that imports boto3 and creates the same
clients. Ratios of medians, measured alternately in the same run so machine drift cancels out."""

from __future__ import annotations

import json
import statistics
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from oms_local.functions import FunctionSpec

CHILD = Path(__file__).with_name("_child.py")


def _env(spec: FunctionSpec) -> dict[str, str]:
    # An endpoint nobody listens on: nothing may call AWS while importing.
    env = spec.lambda_environment("http://127.0.0.1:9")
    env.update({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def _run(python: str, args: list[str], env: dict[str, str], *, importtime: bool = False) -> dict[str, Any]:
    command = [python, *(["-X", "importtime"] if importtime else []), str(CHILD), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if importtime:
        result["importtime"] = done.stderr
    return result


def _importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (self us, cumulative us) from `python -X importtime`."""
    out: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:") :].split("|")]
        if not parts[0].isdigit():
            continue
        out[parts[2].strip()] = (int(parts[0]), int(parts[1]))
    return out


def measure(specs: dict[str, FunctionSpec], python: str, runs: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for lid, spec in sorted(specs.items()):
        layer = str(spec.layer_dirs[0]) if spec.layer_dirs else str(spec.code_dir)
        module = spec.handler.rsplit(".", 1)[0]
        args = [str(spec.code_dir), layer, module]
        env = _env(spec)
        services = _run(python, ["discover", *args], env)["services"]
        function_ms: list[float] = []
        baseline_ms: list[float] = []
        for _ in range(runs):
            function_ms.append(_run(python, ["function", *args], env)["ms"])
            baseline_ms.append(_run(python, ["baseline", ",".join(services)], env)["ms"])
        f, b = statistics.median(function_ms), statistics.median(baseline_ms)
        results[lid] = {
            "function_ms": round(f, 1),
            "baseline_ms": round(b, 1),
            "ratio": round(f / b, 3),
            "clients": services,
            "runs": runs,
        }
    worst = max(results, key=lambda k: results[k]["ratio"])
    spec = specs[worst]
    layer = str(spec.layer_dirs[0]) if spec.layer_dirs else str(spec.code_dir)
    mine = _importtime(
        _run(
            python,
            ["function", str(spec.code_dir), layer, spec.handler.rsplit(".", 1)[0]],
            _env(spec),
            importtime=True,
        )["importtime"]
    )
    base = _importtime(
        _run(python, ["baseline", ",".join(results[worst]["clients"])], _env(spec), importtime=True)[
            "importtime"
        ]
    )
    extra = {m: v for m, v in mine.items() if m not in base}
    packages: Counter[str] = Counter()
    for module, (self_us, _cum) in extra.items():
        packages[module.split(".")[0]] += self_us
    results["_worst"] = {
        "function": worst,
        "top_modules": [
            {"module": m, "self_ms": round(s / 1000, 1), "cumulative_ms": round(c / 1000, 1)}
            for m, (s, c) in sorted(extra.items(), key=lambda kv: -kv[1][1])[:10]
        ],
        "by_package": [{"package": p, "self_ms": round(us / 1000, 1)} for p, us in packages.most_common(8)],
    }
    return results
