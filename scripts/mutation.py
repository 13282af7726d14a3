"""`make mutation`: mutation testing of the modules that carry guarantees.

Each mutant is one small change to one module (a comparison flipped, `and` for `or`, a `not`
dropped, a constant nudged, a call statement or a return value removed, `+` for `-`). It runs in a
copy of the repository, against the unit tier and then, if that misses it, against the module's
integration tests; a mutant that no test fails *survives*. The report gives each module's score
(killed / mutants) and every survivor, except those accepted below as equivalent (no behaviour a
test could see changes), each with its reason.

    make mutation                                  # every module, 2 workers
    make mutation ARGS="--module shared/oms/money.py --workers 1"
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants"
UNIT = ["tests/unit"]

# module -> the integration tests that defend it beyond the unit tier.
TARGETS: dict[str, list[str]] = {
    "shared/oms/webhooks.py": ["tests/integration/test_webhook.py"],
    "shared/oms/intake_rules.py": ["tests/integration/test_intake.py"],
    "shared/oms/stock.py": ["tests/integration/test_admin_api.py"],
    "shared/oms/allocation.py": ["tests/integration/test_fulfilment.py"],
    "shared/oms/fulfilment.py": ["tests/integration/test_fulfilment.py"],
    "shared/oms/tracking_policy.py": ["tests/integration/test_tracking_poller.py"],
    "shared/oms/notifications.py": ["tests/integration/test_notifier.py"],
    "shared/oms/money.py": ["tests/integration/test_intake.py"],
    "shared/oms/services/notification_service.py": ["tests/integration/test_notifier.py"],
    "shared/oms/data/order_repository.py": [
        "tests/integration/test_order_repository.py",
        "tests/integration/test_intake.py",
    ],
    "shared/oms/data/intake_queue.py": [
        "tests/integration/test_intake_queue.py",
        "tests/integration/test_webhook.py",
    ],
}

# (module, enclosing function, mutation, source line) -> why no test can tell the mutant from the
# original. Keyed by the line's text, not its number, so that edits elsewhere keep the entries true.
_DATACLASS = "a dataclass or model option (frozen, slots, defer_build): no behaviour depends on it"
_VERSION = "versions only need to differ on every write: the write condition compares them for equality"
_FROZEN = "@dataclass(frozen=True)"
_FROZEN_SLOTS = "@dataclass(frozen=True, slots=True)"
ACCEPTED: dict[tuple[str, str, str, str], str] = {
    (
        "shared/oms/money.py",
        "to_decimal",
        "raise removed",
        'raise ValueError("a boolean is not an amount")',
    ): ("Decimal('True') is refused by the parse below with the same ValueError"),
    (
        "shared/oms/money.py",
        "Money",
        "True -> False",
        "model_config = ConfigDict(frozen=True, defer_build=True)",
    ): ("defer_build: when the schema is built, not what it validates (frozen is tested)"),
    (
        "shared/oms/money.py",
        "Money._exact_to_minor_unit",
        "1 -> 2",
        "quantum = Decimal(1).scaleb(-exponent)",
    ): ("quantize uses only the quantum's exponent: 2e-2 and 1e-2 round alike"),
    **{
        ("shared/oms/webhooks.py", cls, "True -> False", _FROZEN_SLOTS): _DATACLASS
        for cls in ("StoreCredentials", "WebhookRequest", "WebhookResponse")
    },
    (
        "shared/oms/webhooks.py",
        "CredentialSource.credentials",
        "False -> True",
        "def credentials(self, channel: str, store_id: str, *, fresh: bool = False)"
        " -> StoreCredentials | None:",
    ): "a Protocol's default: the implementations' own defaults apply",
    ("shared/oms/webhooks.py", "signature_matches", "return value -> None", "return False"): (
        "None and False are both a refused signature to its callers"
    ),
    (
        "shared/oms/webhooks.py",
        "receive",
        "raise removed",
        'raise NotFound("unknown store", code="unknown_store")',
    ): ("the malformed store id check saves a parameter read; the credentials lookup refuses it the same"),
    (
        "shared/oms/webhooks.py",
        "receive",
        "raise removed",
        'raise BadRequest("the body is not UTF-8", code="invalid_payload") from exc',
    ): "a body that is not UTF-8 is refused by the JSON parse of the order id, before this decode",
    (
        "shared/oms/data/intake_queue.py",
        "IntakeQueue.__init__",
        "False -> True",
        "def __init__(self, settings: Settings | None = None, *, fast: bool = False) -> None:",
    ): "fast: the SDK's timeouts and retries, not what is sent",
    **{
        ("shared/oms/fulfilment.py", "finish", what, "version = (sc.expected_version or 0) + 1"): _VERSION
        for what in ("0 -> 1", "1 -> 2", "Add -> Sub")
    },
    ("shared/oms/allocation.py", "", "8 -> 9", "EXACT_SEARCH_LIMIT = 8"): (
        "a cost bound: with 8 or 9 candidates the search finds the fewest locations (tested at 8 and 10)"
    ),
    ("shared/oms/allocation.py", "AllocationRules", "True -> False", _FROZEN): _DATACLASS,
    ("shared/oms/stock.py", "LocationCount", "True -> False", _FROZEN): _DATACLASS,
    ("shared/oms/stock.py", "CountPlan", "True -> False", _FROZEN): _DATACLASS,
}

QUIET_CALLS = {"logger", "log", "metrics", "tracer"}  # calls whose removal only changes telemetry


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int
    line: int
    where: str  # the enclosing function's qualified name ("" at module level)
    description: str
    text: str  # the source line, stripped

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.module, self.where, self.description, self.text)


class Mutator(ast.NodeTransformer):
    """Walks a module; counts mutation points, and applies the one numbered ``target``."""

    SWAP: dict[type, type] = {
        ast.Eq: ast.NotEq,
        ast.NotEq: ast.Eq,
        ast.Lt: ast.LtE,
        ast.LtE: ast.Lt,
        ast.Gt: ast.GtE,
        ast.GtE: ast.Gt,
        ast.In: ast.NotIn,
        ast.NotIn: ast.In,
        ast.Is: ast.IsNot,
        ast.IsNot: ast.Is,
        ast.And: ast.Or,
        ast.Or: ast.And,
        ast.Add: ast.Sub,
        ast.Sub: ast.Add,
    }

    def __init__(self, target: int = -1) -> None:
        self.target = target
        self.points: list[tuple[int, str, str]] = []
        self.docstrings: set[int] = set()
        self.scope: list[str] = []

    def _point(self, node: ast.AST, description: str) -> bool:
        self.points.append((getattr(node, "lineno", 0), ".".join(self.scope), description))
        return len(self.points) - 1 == self.target

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> ast.AST:
        self.scope.append(node.name)
        try:
            return self.generic_visit(node)
        finally:
            self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._scoped(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._scoped(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._scoped(node)

    def visit_Module(self, node: ast.Module) -> ast.AST:
        for child in ast.walk(node):
            body = getattr(child, "body", None)
            first = body[0] if isinstance(body, list) and body else None
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.docstrings.add(id(first))
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            swap = self.SWAP.get(type(op))
            if swap and self._point(node, f"{type(op).__name__} -> {swap.__name__}"):
                node.ops[i] = swap()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        swap = self.SWAP[type(node.op)]
        if self._point(node, f"{type(node.op).__name__} -> {swap.__name__}"):
            node.op = swap()
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        strings = any(
            isinstance(s, ast.Constant) and isinstance(s.value, str) for s in (node.left, node.right)
        )
        swap = self.SWAP.get(type(node.op))
        if swap and not strings and self._point(node, f"{type(node.op).__name__} -> {swap.__name__}"):
            node.op = swap()
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        swap = self.SWAP.get(type(node.op))
        if swap and self._point(node, f"{type(node.op).__name__}= -> {swap.__name__}="):
            node.op = swap()
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._point(node, "not x -> x"):
            return node.operand
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool):
            if self._point(node, f"{node.value} -> {not node.value}"):
                return ast.copy_location(ast.Constant(not node.value), node)
        elif isinstance(node.value, int) and self._point(node, f"{node.value} -> {node.value + 1}"):
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node  # messages: not behaviour

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if id(node) in self.docstrings:
            return node
        self.generic_visit(node)
        call = node.value
        if isinstance(call, ast.Call) and not _quiet(call) and self._point(node, "call removed"):
            return ast.copy_location(ast.Pass(), node)
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        value = node.value
        returns_none = value is None or (isinstance(value, ast.Constant) and value.value is None)
        if not returns_none and self._point(node, "return value -> None"):
            node.value = None
        return node

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        self.generic_visit(node)
        if self._point(node, "raise removed"):
            return ast.copy_location(ast.Pass(), node)
        return node


def _quiet(call: ast.Call) -> bool:
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in QUIET_CALLS


def mutants(module: str) -> list[Mutant]:
    source = (ROOT / module).read_text()
    lines = source.splitlines()
    walker = Mutator()
    walker.visit(ast.parse(source))
    return [
        Mutant(module, i, line, where, what, lines[line - 1].strip() if line else "")
        for i, (line, where, what) in enumerate(walker.points)
    ]


def mutated_source(mutant: Mutant) -> str:
    tree = Mutator(mutant.index).visit(ast.parse((ROOT / mutant.module).read_text()))
    return ast.unparse(ast.fix_missing_locations(tree))


# ---------------------------------------------------------------- running


def copy_of_repository(n: int) -> Path:
    """A working copy (tracked files only) for one worker to mutate."""
    dest = WORK / f"work-{n}"
    if dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607 - git on PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def run_tests(work: Path, tests: list[str], timeout: float) -> str:
    """'killed', 'survived' or 'timeout'."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(work / p) for p in ("local", "shared", ".")),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMS_FIXTURES": str(ROOT.parent / "shared" / "fixtures"),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-p",
        "no:schemathesis",
        *tests,
    ]
    try:
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def trial(work: Path, mutant: Mutant, timeouts: dict[str, float], *, unit_only: bool = False) -> str:
    path = work / mutant.module
    original = path.read_text()
    try:
        path.write_text(mutated_source(mutant))
        outcome = run_tests(work, UNIT, timeouts["unit"])
        if outcome == "survived" and not unit_only:
            outcome = run_tests(work, TARGETS[mutant.module], timeouts[mutant.module])
        return outcome
    finally:
        path.write_text(original)


def baseline(work: Path, modules: list[str]) -> dict[str, float]:
    """Each test selection's time unmutated (it must pass); a mutant gets 3x that, at least 30 s."""
    timeouts: dict[str, float] = {}
    for key, tests in [("unit", UNIT), *((m, TARGETS[m]) for m in modules)]:
        if any(tests == TARGETS.get(k) for k in timeouts if k != "unit"):
            timeouts[key] = next(timeouts[k] for k in timeouts if k != "unit" and TARGETS[k] == tests)
            continue
        started = time.monotonic()
        if run_tests(work, tests, 1800) != "survived":
            raise SystemExit(f"the tests fail without any mutant: {' '.join(tests)}")
        timeouts[key] = max(30.0, 3 * (time.monotonic() - started))
    return timeouts


Only = dict[str, Counter[tuple[str, str]]]  # module -> (mutation, source line) -> survivors to run again


def run(
    modules: list[str],
    workers: int,
    *,
    only: Only | None = None,
    previous: dict[str, dict[str, Any]] | None = None,
    unit_only: bool = False,
) -> dict[str, dict[str, object]]:
    """Run the modules' mutants (``only`` those, counting ``previous``'s kills) on copies."""
    todo: Queue[Mutant] = Queue()
    every = [
        m
        for module in modules
        for m in mutants(module)
        if only is None or (m.description, m.text) in only.get(module, Counter())
    ]
    for mutant in every:
        todo.put(mutant)
    copies = [copy_of_repository(n) for n in range(workers)]
    timeouts = baseline(copies[0], [] if unit_only else modules)
    print(f"{len(every)} mutants in {len(modules)} modules, {workers} workers", flush=True)
    outcomes: dict[Mutant, str] = {}

    def work(copy: Path) -> None:
        while True:
            try:
                mutant = todo.get_nowait()
            except Empty:
                return
            outcomes[mutant] = trial(copy, mutant, timeouts, unit_only=unit_only)
            if outcomes[mutant] != "killed":
                where = f"{mutant.module}:{mutant.line} {mutant.where}"
                print(f"  {outcomes[mutant]}: {where}: {mutant.description}", flush=True)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, copies))
    report: dict[str, dict[str, object]] = {}
    for module in modules:
        mine = [m for m in every if m.module == module]
        killed = sum(1 for m in mine if outcomes[m] in ("killed", "timeout"))
        survivors = [m for m in mine if outcomes[m] == "survived"]
        if only is not None:
            # Mutants that share a line and a mutation cannot be told apart across runs: of each
            # such group, as many as survived before are run again, and at most that many survive.
            survivors, killed = _regrouped(survivors, only.get(module, Counter()))
        accepted = [m for m in survivors if m.key in ACCEPTED]
        total = len(mine)
        if previous and module in previous:  # a rerun of the survivors: the earlier kills stand
            total = int(previous[module]["mutants"])
            killed += int(previous[module]["killed"])
        report[module] = {
            "mutants": total,
            "killed": killed,
            "accepted": len(accepted),
            "score": round(100 * (killed + len(accepted)) / total, 1) if total else 100.0,
            "survivors": [f"{m.line} {m.where}: {m.description}" for m in survivors if m not in accepted],
        }
    return report


def _regrouped(survivors: list[Mutant], before: Counter[tuple[str, str]]) -> tuple[list[Mutant], int]:
    still: list[Mutant] = []
    killed = 0
    for key, count in before.items():
        group = [m for m in survivors if (m.description, m.text) == key]
        still += group[:count]
        killed += count - min(count, len(group))
    return still, killed


def survivors_of(report: dict[str, dict[str, Any]], modules: list[str]) -> Only:
    """The last report's survivors as (mutation, source line), read from the copy it ran on."""
    only: Only = {}
    for module, row in report.items():
        if module not in modules:
            continue
        ran_on = WORK / "work-0" / module
        lines = (ran_on if ran_on.exists() else ROOT / module).read_text().splitlines()
        for survivor in row["survivors"]:
            head, description = survivor.split(": ", 1)
            only.setdefault(module, Counter())[(description, lines[int(head.split()[0]) - 1].strip())] += 1
    return only


def show(report: dict[str, dict[str, object]]) -> Iterator[str]:
    yield f"{'module':<48} {'mutants':>7} {'killed':>6} {'accepted':>8} {'score':>6}"
    for module, row in report.items():
        yield f"{module:<48} {row['mutants']:>7} {row['killed']:>6} {row['accepted']:>8} {row['score']:>5}%"
    for module, row in report.items():
        survivors = row["survivors"]
        assert isinstance(survivors, list)
        for survivor in survivors:
            yield f"survivor {module}:{survivor}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--module", action="append", choices=sorted(TARGETS), help="only these (repeatable)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument(
        "--again", action="store_true", help="run only the survivors of the last report (after adding tests)"
    )
    parser.add_argument(
        "--unit-only",
        action="store_true",
        help="with --again: the unit tier only (the survivors already got past the integration tests)",
    )
    args = parser.parse_args(argv)
    modules = args.module or list(TARGETS)
    only: Only | None = None
    previous = None
    if args.again:
        previous = json.loads((WORK / "report.json").read_text())
        only = survivors_of(previous, modules)
        modules = [m for m in modules if m in only]
    if args.list:
        for module in modules:
            for m in mutants(module):
                print(f"{m.module}:{m.line} {m.where}: {m.description}  | {m.text}")
        return 0
    started = time.monotonic()
    report = run(modules, args.workers, only=only, previous=previous, unit_only=args.unit_only)
    if previous:
        report = {**previous, **report}
    (WORK / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    for line in show(report):
        print(line)
    print(f"done in {time.monotonic() - started:.0f} s; report in {(WORK / 'report.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
