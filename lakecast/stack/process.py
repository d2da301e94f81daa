"""Background processes of the stack: spawn with a pid file and a log, health polling, clean termination."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lakecast.stack.download import StackError

#: Servers started by this process. They outlive it by design (own session); keeping the handles stops
#: Popen's "still running" ResourceWarning when a handle would be collected while its server runs.
_STARTED: list[subprocess.Popen] = []


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid: int | None, marker: str | None) -> bool:
    """True if ``pid`` runs and its command line contains ``marker`` (a reused pid is not ours); ``marker`` None:
    any command line (a child just forked has the parent's until it execs)."""
    if pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and (marker is None or marker in cmdline)


def log_tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def spawn(argv: Sequence[str], *, env: dict[str, str], log: Path, pid_file: Path, cwd: Path | None = None) -> int:
    """Start ``argv`` in its own session (it outlives this process), output appended to ``log``; return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(argv)}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(
                list(argv), env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=cwd, start_new_session=True,
            )
        except OSError as exc:
            raise StackError(f"could not start {argv[0]}: {exc}") from exc
    _STARTED.append(proc)
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def wait_until(
    healthy: Callable[[], bool], *, pid: int, timeout: float, what: str, log: Path, interval: float = 0.5
) -> float:
    """Poll ``healthy`` until True; return the seconds waited. StackError (with the log's tail) if the process
    exits or ``timeout`` passes first."""
    started = time.monotonic()
    while True:
        if healthy():
            return time.monotonic() - started
        if not pid_alive(pid, None):
            raise StackError(f"{what} exited while starting; last lines of {log}:\n{log_tail(log)}")
        if time.monotonic() - started > timeout:
            raise StackError(f"{what} not healthy after {timeout:.0f} s; last lines of {log}:\n{log_tail(log)}")
        time.sleep(interval)


def terminate(pid_file: Path, marker: str, *, timeout: float = 60.0) -> bool:
    """SIGTERM the process named in ``pid_file`` (SIGKILL after ``timeout``); True if one was running."""
    pid = read_pid(pid_file)
    if not pid_alive(pid, marker):
        pid_file.unlink(missing_ok=True)
        return False
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid, marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid, marker):
        os.kill(pid, signal.SIGKILL)
        while pid_alive(pid, marker):
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` in MB (None if it does not run)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
