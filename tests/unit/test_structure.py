"""The house's rules (docs/architecture.md, "Where things are"): who may import what, one name per
module, and short functions. Read from the source, so a change that crosses a line fails here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OMS = ROOT / "shared" / "oms"
AWS = ("boto3", "botocore", "moto")

# layer -> module prefixes it must not import
FORBIDDEN = {
    "domain": (*AWS, "oms.data", "oms.services", "oms.wiring", "oms_local"),
    "services": (*AWS, "oms.data", "oms.wiring", "oms_local"),
    "data": ("oms.services", "oms.wiring", "oms_local"),
    "wiring": ("oms_local",),
    "functions": ("boto3", "botocore", "moto", "oms_local"),
}


def layer_of(path: Path) -> str:
    if path.is_relative_to(ROOT / "functions"):
        return "functions"
    relative = path.relative_to(OMS)
    if relative.parts[0] in ("data", "services"):
        return relative.parts[0]
    return "wiring" if relative.name == "wiring.py" else "domain"


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


SOURCES = sorted([*OMS.rglob("*.py"), *(ROOT / "functions").rglob("*.py")])


def test_no_module_imports_across_a_forbidden_line() -> None:
    crossings = []
    for path in SOURCES:
        forbidden = FORBIDDEN[layer_of(path)]
        for line, name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                crossings.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({layer_of(path)})")
    assert not crossings, "\n".join(crossings)


def test_the_rule_check_sees_a_crossing_when_there_is_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import botocore.exceptions\nfrom oms.data.order_repository import OrderRepository\n")
    assert [name for _, name in imports(bad)][:2] == ["botocore.exceptions", "oms.data.order_repository"]


def test_no_two_modules_of_the_shared_layer_share_a_file_name() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in OMS.rglob("*.py"):
        if path.name == "__init__.py":
            # A package's face: a docstring only (what it holds is in its modules).
            body = ast.parse(path.read_text()).body
            assert all(isinstance(n, ast.Expr) for n in body), f"{path} holds code: move it into a module"
            continue
        by_name[path.name].append(str(path.relative_to(OMS)))
    twins = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert not twins, twins


@pytest.mark.parametrize("folder", ["shared", "functions"])
def test_functions_are_short_or_say_why_not(folder: str) -> None:
    long = []
    for path in (ROOT / folder).rglob("*.py"):
        source = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(source))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                said = any("long:" in line for line in source[node.lineno - 1 : node.end_lineno])
                if length > 80 and not said:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, long
