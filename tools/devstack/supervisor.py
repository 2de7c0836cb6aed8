"""The process supervisor of ``make run``: the web server, the Celery worker and beat, the click
drain. A child that exits is started again after a backoff (doubling from ``backoff_initial`` up
to ``backoff_max``, back to the start once it has run ``stable_after`` seconds), and the log says
so. SIGINT (Ctrl-C) or SIGTERM stops every child (SIGTERM, then SIGKILL after ``stop_timeout``;
a second Ctrl-C kills at once).

Children run in process groups of their own, so the terminal's Ctrl-C reaches the supervisor
only: it stops them in order, and a child that the terminal interrupted is never mistaken for a
crash and restarted.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # when a crashed child is due to start again
    failures: int = 0  # consecutive exits without a stable run
    restarts: int = 0


@dataclass
class Supervisor:
    commands: Sequence[tuple[str, Sequence[str]]]
    env: Mapping[str, str] | None = None
    cwd: str | Path | None = None
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    stable_after: float = 30.0
    stop_timeout: float = 15.0
    poll_interval: float = 0.2
    log: Callable[[str], None] = field(default=lambda message: print(f"[devstack] {message}", flush=True))
    children: list[Child] = field(init=False)
    _signals: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.children = [Child(name=name, command=list(command)) for name, command in self.commands]

    def run(self, *, on_started: Callable[[], None] | None = None) -> int:
        """Start every child and keep them running until SIGINT or SIGTERM; returns 0."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                self._start(child)
            if on_started is not None:
                on_started()
            while not self._signals:
                self.poll()
                time.sleep(self.poll_interval)
            self.log("stopping every process")
            return 0
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def poll(self) -> None:
        """Notice exited children and start the ones whose backoff is over."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                self._exited(child, now)
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self.log(f"restarting {child.name} (restart {child.restarts})")
                self._start(child)

    def stop(self) -> None:
        running = [child.process for child in self.children if child.process and child.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        forced = self._signals
        while any(process.poll() is None for process in running):
            if time.monotonic() > deadline or self._signals > forced:
                self.log("killing what is still running")
                for process in running:
                    if process.poll() is None:
                        process.kill()
                forced = self._signals
            time.sleep(0.05)
        for child in self.children:
            child.process = None
            child.restart_at = None

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.command, env=dict(self.env) if self.env is not None else None, cwd=self.cwd, process_group=0
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def _exited(self, child: Child, now: float) -> None:
        assert child.process is not None
        code = child.process.returncode
        if now - child.started_at >= self.stable_after:
            child.failures = 0
        delay = min(self.backoff_initial * 2**child.failures, self.backoff_max)
        child.failures += 1
        child.process = None
        child.restart_at = now + delay
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        self.log(f"{child.name} {how}; restarting it in {delay:g} s")

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._signals += 1  # nothing else here: printing from a signal handler can re-enter print
