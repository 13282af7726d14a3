"""Lambda functions as the template declares them: code, handler, layers, environment."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from oms_local.template import CODE_BUCKET, REGION, Stack


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str  # module.function
    runtime: str
    timeout: int
    memory: int
    environment: dict[str, str]
    layer_dirs: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def module_file(self) -> Path:
        module, _ = self.handler.rsplit(".", 1)
        return self.code_dir / (module.replace(".", "/") + ".py")

    def lambda_environment(self, endpoint_url: str | None = None) -> dict[str, str]:
        """What Lambda sets, plus the template's variables, plus where the local AWS is."""
        env = {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any credentials
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            **self.environment,
        }
        if endpoint_url:
            env["AWS_ENDPOINT_URL"] = endpoint_url
        return env


def _code_dir(stack: Stack, code: dict[str, Any]) -> Path:
    if code.get("S3Bucket") != CODE_BUCKET:
        raise ValueError(f"only local code is supported, got {code!r}")
    return Path(stack.root / str(code["S3Key"])).resolve()


def function_specs(stack: Stack) -> dict[str, FunctionSpec]:
    layers = {
        stack.refs.get(lid, lid): _code_dir(stack, r["Properties"]["Content"])
        for lid, r in stack.of_type("AWS::Lambda::LayerVersion").items()
    }
    specs: dict[str, FunctionSpec] = {}
    for lid, resource in stack.of_type("AWS::Lambda::Function").items():
        props = stack.resolve(resource["Properties"])
        env = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        specs[lid] = FunctionSpec(
            logical_id=lid,
            name=stack.refs.get(lid, lid),
            arn=stack.attrs.get(lid, {}).get("Arn", lid),
            code_dir=_code_dir(stack, props["Code"]),
            handler=props["Handler"],
            runtime=props.get("Runtime", "python3.13"),
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment=env,
            layer_dirs=tuple(layers[arn] for arn in props.get("Layers", []) if arn in layers),
        )
    return specs


def load_handler(spec: FunctionSpec, *, unique: str | None = None) -> tuple[ModuleType, Callable[..., Any]]:
    """Import the handler's module under a name of its own, so two ``app`` modules never collide."""
    _module_name, func_name = spec.handler.rsplit(".", 1)
    for layer in spec.layer_dirs:
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))
    name = f"oms_fn_{unique or spec.logical_id}"
    loader_spec = importlib.util.spec_from_file_location(name, spec.module_file)
    if loader_spec is None or loader_spec.loader is None:
        raise ImportError(f"cannot load {spec.module_file}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    sys.path.insert(0, str(spec.code_dir))
    try:
        loader_spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(spec.code_dir))
    return module, getattr(module, func_name)
