"""bin/run, the README's run command: a signal to its own PID stops the web server, the worker and beat."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session_members(sid: int) -> list[int]:
    """PIDs of the processes still in session `sid` (bin/run is started as a session leader)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # fields: state, ppid, pgrp, session
            members.append(int(entry.name))
    return members


def serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_it_stops_everything_when_its_own_pid_gets_a_signal(tmp_path: Path, signum: int) -> None:
    (tmp_path / "worker.log").write_text("a line from an earlier run\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(MBC_VAR_DIR=str(tmp_path), PORT=str(port))
    log = (tmp_path / "run.log").open("wb")
    runner = subprocess.Popen(
        ["bin/run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while not serves(port):
            assert runner.poll() is None, (tmp_path / "run.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "bin/run did not serve its login page within 180 s"
            time.sleep(1)
        assert len(session_members(runner.pid)) >= 3  # bin/run, gunicorn (and its workers), the celery worker

        os.kill(runner.pid, signum)  # the script's own PID only, not its group
        runner.wait(timeout=40)
        deadline = time.monotonic() + 10
        while session_members(runner.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert session_members(runner.pid) == [], "bin/run left processes behind"
        assert not serves(port)
        worker_log = (tmp_path / "worker.log").read_text()
        assert worker_log.startswith("a line from an earlier run\n")  # appended, not overwritten
    finally:
        log.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
