"""Start the worker and the API as real processes, the way `make run` does."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.processes import REPO, free_port, process, wait_until_healthy

__all__ = ["REPO", "running_stack"]


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
