"""Load template.yaml the way AWS does: SAM -> CloudFormation with aws-sam-translator, intrinsic
tags read by cfn-lint's decoder, then conditions and intrinsic functions resolved locally."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import decode_str
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
CODE_BUCKET = "local-code"
NO_VALUE = object()


class TemplateError(Exception):
    pass


def _plain(node: Any) -> Any:
    """cfn-lint's node types -> plain dicts, lists and strings."""
    return json.loads(json.dumps(node))


def translate(template_path: Path, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation that ``sam deploy`` would create from ``template_path``."""
    key = (
        str(template_path.resolve()),
        template_path.stat().st_mtime_ns,
        json.dumps(parameters or {}, sort_keys=True),
    )
    if key not in _TRANSLATED:
        _TRANSLATED[key] = _translate(template_path, parameters)
    return copy.deepcopy(_TRANSLATED[key])


_TRANSLATED: dict[tuple[str, int, str], dict[str, Any]] = {}


def _translate(template_path: Path, parameters: dict[str, str] | None) -> dict[str, Any]:
    text = template_path.read_text()
    decoded, matches = decode_str(text)
    if matches or decoded is None:
        raise TemplateError("; ".join(str(m) for m in matches) or "template could not be read")
    sam = _plain(decoded)
    sections = [r.get("Properties") or {} for r in sam.get("Resources", {}).values()]
    sections += list((sam.get("Globals") or {}).values())
    for props in sections:
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                # The translator wants S3 locations; the key keeps the local path.
                props[key] = f"s3://{CODE_BUCKET}/{props[key]}"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    result: dict[str, Any] = translator.translate(
        sam, parameter_values=dict(parameters or {}), get_managed_policy_map=dict
    )
    return result


@dataclass
class Stack:
    """A translated template plus what is known of each resource once it exists locally."""

    root: Path
    template: dict[str, Any]
    name: str = "oms-local"
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)  # logical id -> Ref value
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> {attr: value}

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        res: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return res

    def active(self) -> dict[str, dict[str, Any]]:
        """Resources whose Condition holds."""
        return {
            lid: r
            for lid, r in self.resources.items()
            if not r.get("Condition") or self.conditions[r["Condition"]]
        }

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.active().items() if r["Type"] in types}

    # ------------------------------------------------------------------ intrinsics
    def pseudo(self, name: str) -> Any:
        return {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.name,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.name}/local",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"Ref {name} is not known yet")

    def get_att(self, logical: str, attr: str) -> Any:
        try:
            return self.attrs[logical][attr]
        except KeyError:
            raise TemplateError(f"Fn::GetAtt {logical}.{attr} is not known yet") from None

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsic functions in ``value`` (AWS::NoValue removes the key)."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            fn = _INTRINSICS.get(key)
            if fn is not None:
                return fn(self, arg)
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            if resolved is not NO_VALUE:
                out[k] = resolved
        return out

    def condition(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Condition":
                return self.conditions[arg]
            if key == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.condition(arg[0])
            if key == "Fn::And":
                return all(self.condition(x) for x in arg)
            if key == "Fn::Or":
                return any(self.condition(x) for x in arg)
        raise TemplateError(f"unsupported condition {value!r}")

    def references(self, value: Any) -> set[str]:
        """Logical ids that ``value`` refers to (Ref, GetAtt, Sub)."""
        found: set[str] = set()
        if isinstance(value, list):
            for v in value:
                found |= self.references(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k == "Ref" and isinstance(v, str):
                    found.add(v)
                elif k == "Fn::GetAtt":
                    found.add(v[0] if isinstance(v, list) else v.split(".")[0])
                elif k == "Fn::Sub":
                    text = v if isinstance(v, str) else v[0]
                    found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                    if isinstance(v, list):
                        found |= self.references(v[1])
                else:
                    found |= self.references(v)
        return {f for f in found if f in self.resources}

    def creation_order(self) -> list[str]:
        """Active resources, each after everything it refers to or depends on."""
        active = self.active()
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(lid: str) -> None:
            if state.get(lid) == 2:
                return
            if state.get(lid) == 1:
                raise TemplateError(f"circular reference through {lid}")
            state[lid] = 1
            resource = active[lid]
            deps = self.references(resource.get("Properties", {}))
            depends = resource.get("DependsOn", [])
            deps |= set([depends] if isinstance(depends, str) else depends)
            for dep in sorted(deps):
                if dep in active and dep != lid:
                    visit(dep)
            state[lid] = 2
            order.append(lid)

        for lid in sorted(active):
            visit(lid)
        return order


def _sub(stack: Stack, arg: Any) -> str:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], stack.resolve(arg[1]))

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            logical, attr = name.split(".", 1)
            return str(stack.get_att(logical, attr))
        return str(stack.ref(name))

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def _get_att(stack: Stack, arg: Any) -> Any:
    logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
    return stack.get_att(logical, stack.resolve(attr))


def _if(stack: Stack, arg: Any) -> Any:
    name, yes, no = arg
    return stack.resolve(yes if stack.conditions[name] else no)


def _join(stack: Stack, arg: Any) -> str:
    sep, items = arg
    return str(sep).join(str(v) for v in stack.resolve(items))


def _select(stack: Stack, arg: Any) -> Any:
    index, items = stack.resolve(arg[0]), stack.resolve(arg[1])
    return items[int(index)]


def _split(stack: Stack, arg: Any) -> list[str]:
    sep, text = arg
    return str(stack.resolve(text)).split(sep)


def _find_in_map(stack: Stack, arg: Any) -> Any:
    name, top, second = (stack.resolve(a) for a in arg)
    return stack.template["Mappings"][name][top][second]


_INTRINSICS: dict[str, Callable[[Stack, Any], Any]] = {
    "Ref": lambda s, a: s.ref(a),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": lambda s, a: [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
    "Fn::Base64": lambda s, a: __import__("base64").b64encode(str(s.resolve(a)).encode()).decode(),
    "Condition": lambda s, a: s.conditions[a],
}


def _check_parameter(name: str, spec: dict[str, Any], value: Any) -> None:
    """What CloudFormation checks before it deploys: allowed values and pattern."""
    allowed = spec.get("AllowedValues")
    if allowed and str(value) not in [str(a) for a in allowed]:
        raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
    pattern = spec.get("AllowedPattern")
    if pattern and isinstance(value, str) and not re.fullmatch(pattern, value):
        raise TemplateError(f"parameter {name}={value!r} does not match {pattern}")


def load(template_path: Path, overrides: dict[str, str] | None = None, *, name: str = "oms-local") -> Stack:
    """Translate the template and settle its parameters and conditions."""
    translated = translate(template_path, overrides)
    stack = Stack(root=template_path.parent, template=copy.deepcopy(translated), name=name)
    declared = translated.get("Parameters", {})
    unknown = sorted(set(overrides or {}) - set(declared))
    if unknown:
        raise TemplateError(f"the template declares no parameter {', '.join(unknown)}")
    for pname, spec in declared.items():
        value = (overrides or {}).get(pname, spec.get("Default", ""))
        _check_parameter(pname, spec, value)
        if spec.get("Type") == "CommaDelimitedList":
            value = [v for v in str(value).split(",") if v] if isinstance(value, str) else value
        stack.parameters[pname] = value
    pending = dict(translated.get("Conditions", {}))
    while pending:
        progressed = False
        for cname, expr in list(pending.items()):
            try:
                stack.conditions[cname] = stack.condition(expr)
            except KeyError:
                continue
            del pending[cname]
            progressed = True
        if not progressed:
            raise TemplateError(f"conditions cannot be evaluated: {sorted(pending)}")
    return stack
