"""`make run` as a person sees it: started in a terminal of its own, left idle, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BANNER_END = "Ctrl-C stops everything."


class Console:
    """The stack's terminal: every line it prints, with the time it appeared."""

    def __init__(self, facts: Path) -> None:
        env = dict(os.environ, OMS_LOCAL_FACTS=str(facts), PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("local", "shared", "."))
        # A session of its own, so Ctrl-C can be sent to the whole group as a terminal does.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oms_local", "--port", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for_line(self, text: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never printed:\n" + "\n".join(line for _, line in self.lines))

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def test_an_idle_stack_keeps_its_banner_readable_and_ctrl_c_stops_it_without_a_traceback(
    tmp_path: Path,
) -> None:
    console = Console(tmp_path / "facts.json")
    try:
        banner_at = console.wait_for_line(BANNER_END, timeout=180)
        time.sleep(60)  # the idle minute the test is about: schedules fire about 60 times
        after_banner = [line for at, line in console.lines if at > banner_at and line.strip()]
        assert len(after_banner) <= 6, "\n".join(after_banner)
        facts = json.loads((tmp_path / "facts.json").read_text())
        banner = "\n".join(line for at, line in console.lines if at <= banner_at)
        # The admin app's address and a demo sign-in for each role, as the README shows them.
        assert f"Admin app        {facts['app_url']}/" in banner
        for email in ("staff@demo.local", "warehouse@demo.local"):
            assert f"sign in as {email} / {facts['sign_in'][email]}" in banner
        stopped_at = time.monotonic()
        code = console.ctrl_c()
    finally:
        console.kill()
    on_stop = [line for at, line in console.lines if at >= stopped_at and line.strip()]
    assert code == 0
    assert on_stop[-1] == "stopped.", on_stop
    assert len(on_stop) <= 3, on_stop
    everything = "\n".join(line for _, line in console.lines)
    assert "Traceback" not in everything
    assert "KeyboardInterrupt" not in everything
    assert not (tmp_path / "facts.json").exists()
