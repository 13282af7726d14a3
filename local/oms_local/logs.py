"""Function logs in a terminal: one line per record, prefixed with the function's name (aligned).

By default what a person wants to see: debug lines and metrics blobs that count nothing (a
scheduled run that found nothing to do) are left out; ``verbose`` shows everything, ``raw`` keeps
every line exactly as the function wrote it (JSON)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

_SKIP = {
    "level",
    "message",
    "timestamp",
    "service",
    "location",
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
}
_COLOURS = {
    "DEBUG": "\033[2m",
    "INFO": "",
    "WARNING": "\033[33m",
    "ERROR": "\033[31m",
    "CRITICAL": "\033[31;1m",
}
_RESET = "\033[0m"


class LogPrinter:
    """Pretty by default; ``raw=True`` keeps every line exactly as the function wrote it."""

    def __init__(
        self,
        *,
        raw: bool = False,
        verbose: bool = False,
        stream: TextIO | None = None,
        colour: bool | None = None,
        keep: Callable[[str, str], None] | None = None,
    ) -> None:
        self.raw = raw
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.colour = self.stream.isatty() if colour is None else colour
        self.keep = keep  # every raw line goes here too (the log-privacy test reads them)
        self.lock = threading.Lock()
        self.width = 10
        self.muted = False

    def mute(self) -> None:
        """Stopping: what the functions say while everything shuts down is not printed."""
        self.muted = True

    def __call__(self, function: str, line: str) -> None:
        if self.keep:
            self.keep(function, line)
        if self.muted:
            return
        text = line if self.raw else self.render(line)
        if text is None:
            return
        with self.lock:
            self.width = max(self.width, len(function))
            self.stream.write(f"{function:>{self.width}} | {text}\n")
            self.stream.flush()

    def align(self, labels: list[str]) -> None:
        """Every label the stack will print (its functions, a second worker each): one column."""
        self.width = max([self.width, *(len(label) + 2 for label in labels)])

    def render(self, line: str) -> str | None:
        try:
            record: dict[str, Any] = json.loads(line)
        except ValueError:
            return line
        if not isinstance(record, dict):
            return line
        if "_aws" in record:  # an EMF metrics blob
            names = [
                m["Name"] for d in record["_aws"].get("CloudWatchMetrics", []) for m in d.get("Metrics", [])
            ]
            counts = {n: _sum(record.get(n)) for n in names}
            if not self.verbose and not any(counts.values()):
                return None  # a run that counted nothing (an idle schedule)
            values = ", ".join(f"{n}={v}" for n, v in counts.items())
            return f"{self._dim('metrics')} {values}"
        level = str(record.get("level", "INFO"))
        if level == "DEBUG" and not self.verbose:
            return None
        when = _clock(record.get("timestamp"))
        extras = " ".join(f"{k}={_short(v)}" for k, v in record.items() if k not in _SKIP)
        message = str(record.get("message", ""))
        text = f"{when} {level:<7} {message}" + (f"  {self._dim(extras)}" if extras else "")
        if self.colour and _COLOURS.get(level):
            text = f"{_COLOURS[level]}{text}{_RESET}"
        return text

    def _dim(self, text: str) -> str:
        return f"\033[2m{text}{_RESET}" if self.colour else text


def _sum(value: Any) -> Any:
    if isinstance(value, list):
        total = sum(value)
        return int(total) if float(total).is_integer() else total
    return value


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _clock(value: Any) -> str:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace(",", ".")).strftime("%H:%M:%S")
        except ValueError:
            return value[11:19]
    return datetime.now().strftime("%H:%M:%S")  # noqa: DTZ005 - a terminal clock
