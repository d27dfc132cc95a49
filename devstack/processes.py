"""Child processes on loopback, for the tests and the dev tools: ports, starting, stopping.

free_port           a loopback TCP port nobody listens on right now
spawn / stop        a child with its output in a log file; stop is SIGTERM, then SIGKILL
process             spawn ... stop as a context manager
wait_until_healthy  poll an API's /healthz until it answers 200
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `args` in the repository, stdout and stderr appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=REPO, env=dict(env), stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Ask the child to stop (SIGTERM); kill it if it has not within `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def process(
    args: list[str], env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    proc = spawn(args, env, log)
    try:
        yield proc
    finally:
        stop(proc)


def wait_until_healthy(
    base_url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    """Return once GET {base_url}/healthz answers 200; raise RuntimeError with the log if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"API exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"API not healthy after {timeout:.0f}s:\n{log.read_text()}")
