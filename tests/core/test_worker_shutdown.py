"""Celery workers stop gracefully: SIGTERM lets the running task finish (warm shutdown); a worker
killed in the middle of a task (its grace period over) leaves the message unacknowledged, and the
task is delivered again (acks_late) once the broker's visibility timeout has passed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.ops_tasks import slow_marker_task

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]


def _worker(queue: str, **env: str) -> subprocess.Popen[str]:
    parts = urlsplit(os.environ["DATABASE_URL"])
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}")),
        **env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--include",
            "tests.ops_tasks",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(path: Path, worker: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert worker.poll() is None, worker.communicate()[0]
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_sigterm_lets_the_running_task_finish(db, tmp_path):
    queue = f"shutdown-warm-{os.getpid()}"
    slow_marker_task.apply_async((str(tmp_path), 2.0), queue=queue)
    worker = _worker(queue)
    _wait_for(tmp_path / "started-0", worker)

    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 0, output
    assert (tmp_path / "done").read_text() == "1"  # finished, once
    assert "Warm shutdown" in output


def test_a_task_killed_with_its_worker_is_delivered_again(db, tmp_path):
    queue = f"shutdown-kill-{os.getpid()}"
    slow_marker_task.apply_async((str(tmp_path), 3.0), queue=queue)
    env = {"CELERY_VISIBILITY_TIMEOUT": "2"}
    killed = _worker(queue, **env)
    _wait_for(tmp_path / "started-0", killed)

    killed.send_signal(signal.SIGKILL)  # the orchestrator's grace period ran out
    killed.communicate(timeout=30)
    assert not (tmp_path / "done").exists()
    time.sleep(2.5)  # the visibility timeout passes
    restarted = _worker(queue, **env)
    try:
        _wait_for(tmp_path / "done", restarted, timeout=90)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.communicate(timeout=60)

    assert (tmp_path / "started-1").exists()  # delivered a second time, and finished
