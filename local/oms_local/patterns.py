"""Event pattern matching (EventBridge rules and Lambda event filtering share the syntax)."""

from __future__ import annotations

from typing import Any


def matches(pattern: dict[str, Any], event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    for key, rule in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(rule, dict):
            if not present or not matches(rule, value):
                return False
            continue
        if not isinstance(rule, list):
            return False
        if not _any_matches(rule, value, present):
            return False
    return True


def _any_matches(rules: list[Any], value: Any, present: bool) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict):
            if _operator(rule, values, present):
                return True
        elif present and any(rule == v for v in values):
            return True
    return False


def _operator(rule: dict[str, Any], values: list[Any], present: bool) -> bool:
    ((op, arg),) = rule.items()
    if op == "exists":
        return present == bool(arg)
    if not present:
        return False
    if op == "prefix":
        return any(isinstance(v, str) and v.startswith(arg) for v in values)
    if op == "suffix":
        return any(isinstance(v, str) and v.endswith(arg) for v in values)
    if op == "anything-but":
        banned = arg if isinstance(arg, list) else [arg]
        if isinstance(arg, dict) and "prefix" in arg:
            return all(not (isinstance(v, str) and v.startswith(arg["prefix"])) for v in values)
        return all(v not in banned for v in values)
    if op == "numeric":
        return any(_numeric(arg, v) for v in values)
    raise ValueError(f"unsupported pattern operator {op!r}")


def _numeric(spec: list[Any], value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    ops = {"<": float.__lt__, "<=": float.__le__, "=": float.__eq__, ">": float.__gt__, ">=": float.__ge__}
    return all(ops[spec[i]](number, float(spec[i + 1])) for i in range(0, len(spec), 2))
