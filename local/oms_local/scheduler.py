"""EventBridge schedules: rate() and cron() expressions, on a clock that can run faster than
real time (``--time-scale``) for demos and tests."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}  # noqa: SIM905
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}  # AWS: 1 = Sunday


class ScheduleError(ValueError):
    pass


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """Values one cron field allows; None for '*' or '?' (anything)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if "/" in text else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleError(f"{text!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    if not text.isdigit():
        raise ScheduleError(f"unsupported cron value {text!r} (L, W and # are not supported locally)")
    return int(text)


@dataclass(frozen=True)
class Cron:
    minutes: set[int] | None
    hours: set[int] | None
    days: set[int] | None
    months: set[int] | None
    weekdays: set[int] | None
    years: set[int] | None

    @classmethod
    def parse(cls, body: str) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise ScheduleError("cron() needs six fields: minutes hours day-of-month month day-of-week year")
        return cls(
            _field(fields[0], 0, 59),
            _field(fields[1], 0, 23),
            _field(fields[2], 1, 31),
            _field(fields[3], 1, 12, _MONTHS),
            _field(fields[4], 1, 7, _DAYS),
            _field(fields[5], 1970, 2199),
        )

    def matches(self, t: datetime) -> bool:
        weekday = (t.weekday() + 1) % 7 + 1  # Monday=0 -> 2; Sunday=6 -> 1
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.minutes, t.minute),
                (self.hours, t.hour),
                (self.days, t.day),
                (self.months, t.month),
                (self.weekdays, weekday),
                (self.years, t.year),
            )
        )

    def next_after(self, t: datetime) -> datetime:
        candidate = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(2 * 366 * 24 * 60):
            if self.matches(candidate):
                return candidate
            if (self.hours is not None and candidate.hour not in self.hours) or (
                self.days is not None and candidate.day not in self.days
            ):
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
                continue
            candidate += timedelta(minutes=1)
        raise ScheduleError("the cron expression never fires")


def next_fire(expression: str, after: datetime) -> datetime:
    found = re.fullmatch(r"\s*(rate|cron)\((.*)\)\s*", expression)
    if not found:
        raise ScheduleError(f"unsupported schedule {expression!r}")
    kind, body = found.groups()
    if kind == "rate":
        amount, unit = body.split()
        if unit not in _UNITS or int(amount) < 1:
            raise ScheduleError(f"unsupported rate {body!r}")
        return after + timedelta(seconds=int(amount) * _UNITS[unit])
    return Cron.parse(body).next_after(after)


class Clock:
    """Virtual time: starts at the real time and runs ``scale`` times faster. The functions' own
    clock (oms.timeutil.utcnow, in their worker processes) is this one too, so every timestamp of an
    order's timeline is on one clock."""

    ENV = "OMS_LOCAL_CLOCK"

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.start_real = time.time()
        self.start_virtual = datetime.now(UTC)

    def now(self) -> datetime:
        return self.start_virtual + timedelta(seconds=(time.time() - self.start_real) * self.scale)

    def real_seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self.now()).total_seconds() / self.scale)

    def env(self) -> dict[str, str]:
        """What a worker process needs to keep the same clock."""
        return {self.ENV: f"{self.start_real!r}:{self.start_virtual.timestamp()!r}:{self.scale!r}"}


@dataclass
class Job:
    name: str
    expression: str
    fire: Callable[[datetime], None]
    next_at: datetime | None = None


def run(jobs: list[Job], clock: Clock, stop: threading.Event) -> None:
    """Fire each job at its times until ``stop`` is set (each firing on a thread of its own).

    On a fast clock a firing can outlast the interval; a job whose previous firing is still running
    skips that tick and no missed ticks are replayed, so a slow machine is never buried in catch-up
    invocations (EventBridge would overlap them; locally that only burns the CPU the run needs)."""
    if not jobs:
        return
    busy: dict[str, threading.Thread] = {}
    for job in jobs:
        job.next_at = next_fire(job.expression, clock.now())
    while not stop.is_set():
        job = min(jobs, key=lambda j: j.next_at or clock.now())
        assert job.next_at is not None
        if stop.wait(min(clock.real_seconds_until(job.next_at), 1.0)):
            return
        now = clock.now()
        if now < job.next_at:
            continue
        at = job.next_at
        job.next_at = next_fire(job.expression, max(at, now))
        running = busy.get(job.name)
        if running is not None and running.is_alive():
            continue
        thread = threading.Thread(target=job.fire, args=(at,), name=f"schedule-{job.name}", daemon=True)
        busy[job.name] = thread
        thread.start()
