"""`make run`'s supervisor, with small dummy children: a crashed child is started again after a
growing backoff and the log says so; SIGINT (Ctrl-C) stops every child."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

from devstack.services import SOURCE_ROOTS

SUPERVISED = textwrap.dedent(
    """
    import sys
    from devstack.supervisor import Supervisor

    pids = sys.argv[1]
    child = "import os, sys, time; open(os.path.join(sys.argv[1], str(os.getpid())), 'w').close(); "
    supervisor = Supervisor(
        [
            ("steady", [sys.executable, "-c", child + "time.sleep(600)", pids]),
            ("crasher", [sys.executable, "-c", child + "sys.exit(3)", pids]),
        ],
        backoff_initial=0.2,
        backoff_max=0.8,
        poll_interval=0.05,
    )
    sys.exit(supervisor.run(on_started=lambda: print("started", flush=True)))
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(predicate, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_crashed_child_is_restarted_with_backoff_and_ctrl_c_stops_everything(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    log = tmp_path / "log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, SOURCE_ROOTS))}
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-c", SUPERVISED, str(pids)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        # Four crashes: backoff 0.2, 0.4, 0.8, then capped at 0.8 s.
        _wait_for(lambda: log.read_text().count("crasher exited with code 3") >= 4)
        steady_pid = min(int(name) for name in os.listdir(pids))

        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=20) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()

    text = log.read_text()
    delays = re.findall(r"crasher exited with code 3; restarting it in ([\d.]+) s", text)
    assert delays[:4] == ["0.2", "0.4", "0.8", "0.8"], text
    assert "restarting crasher (restart 3)" in text
    assert "steady exited" not in text
    assert "restarting steady" not in text
    assert "stopping every process" in text
    started = [int(name) for name in os.listdir(pids)]
    assert len(started) >= 5  # the steady child and at least four crasher runs
    _wait_for(lambda: not any(_alive(pid) for pid in started), seconds=5)
    assert not _alive(steady_pid)


def test_sigterm_stops_a_child_that_ignores_it_by_killing_it(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from devstack.supervisor import Supervisor

        stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"
        supervisor = Supervisor([("stubborn", [sys.executable, "-c", stubborn])], stop_timeout=0.5, poll_interval=0.05)
        sys.exit(supervisor.run())
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, SOURCE_ROOTS))}
    supervisor = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert supervisor.stdout is not None
        assert supervisor.stdout.readline().strip() == "up"
        supervisor.send_signal(signal.SIGTERM)
        output, _ = supervisor.communicate(timeout=20)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()

    assert supervisor.returncode == 0
    assert "killing what is still running" in output
