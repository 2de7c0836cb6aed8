"""A task for the shutdown tests (a worker process loads it with ``--include tests.ops_tasks``)."""

from __future__ import annotations

import time
from pathlib import Path

from config.celery import app


@app.task(name="tests.ops_tasks.slow_marker_task", acks_late=True)
def slow_marker_task(folder: str, seconds: float) -> None:
    """Marks its start (one file per delivery), works ``seconds``, then marks its end."""
    path = Path(folder)
    deliveries = len(list(path.glob("started-*")))
    (path / f"started-{deliveries}").write_text("")
    time.sleep(seconds)
    (path / "done").write_text(str(deliveries + 1))
