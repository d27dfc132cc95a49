"""Start the worker and the API as real processes, the way `make run` does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until_healthy(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"API exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"API not healthy after 30s:\n{log.read_text()}")


@contextmanager
def running_stack(settings_env: dict[str, str], logs: Path) -> Iterator[str]:
    """Worker and API processes with the given CARTNUDGE_* settings; yields the API URL."""
    port = free_port()
    env = {**os.environ, **settings_env, "CARTNUDGE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    base_url = f"http://127.0.0.1:{port}"
    api_args = [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with (
        process([sys.executable, "worker.py"], env, logs / "worker.log") as worker,
        process(api_args, env, logs / "api.log") as api,
    ):
        wait_until_healthy(base_url, api, logs / "api.log")
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{(logs / 'worker.log').read_text()}")
        yield base_url
