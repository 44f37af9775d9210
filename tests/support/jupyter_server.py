"""A real Jupyter server for a test module (JupyterLab, or ``jupyter server`` with nbgrader's
formgrader): on 127.0.0.1, a free port and a random token, waited for until it answers, and
stopped afterwards."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest

from support.paths import BIN

ATTEMPTS = 3  # a port found free may be taken before the server binds it: then another one


@dataclass(frozen=True)
class JupyterServer:
    """A running server: its base URL (ending in ``/``), token, the folder it serves and its
    log file."""

    base: str
    token: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        """``path`` on the server, with the token (a browser's first visit logs in with it)."""
        return f"{self.base}{path}?token={self.token}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Call the server's REST API at ``path`` with the token; the decoded JSON answer
        (None for an empty one)."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            data = answer.read()
        return json.loads(data) if data else None

    def shut_down_kernels(self) -> None:
        """End every session's kernel (each test then starts from none, and memory is freed)."""
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def jupyter_server(
    app: str,
    root: Path,
    log: Path,
    *,
    env: dict[str, str],
    args: Sequence[str] = (),
    cwd: Path | None = None,
    ready: str = "api/status",
    start_s: float = 90,
) -> Iterator[JupyterServer]:
    """Run ``jupyter <app>`` (``lab``, ``server``) serving ``root``, started in ``cwd`` (by
    default ``root``) with ``env`` and extra ``args``, its output in ``log``; yield once
    ``GET ready`` answers; terminate it afterwards (kill it if it does not stop in 20 s)."""
    for attempt in range(1, ATTEMPTS + 1):
        port, token = free_port(), secrets.token_hex(16)
        command = [
            str(BIN / "jupyter"),
            app,
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={root}",
            *args,
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=cwd or root, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        server = JupyterServer(f"http://127.0.0.1:{port}/", token, root, log)
        try:
            if _wait(process, server, ready, start_s, last=attempt == ATTEMPTS):
                yield server
                return
        finally:
            _stop(process)


def _wait(
    process: subprocess.Popen[bytes], server: JupyterServer, ready: str, start_s: float, last: bool
) -> bool:
    """Whether the server answered ``ready``; False if it exited on a port taken meanwhile
    (and this is not the ``last`` attempt); a test failure otherwise."""
    deadline = time.monotonic() + start_s
    while True:
        if process.poll() is not None:
            output = server.log.read_text(errors="replace")
            if not last and "already in use" in output:
                return False
            pytest.fail(f"jupyter exited with {process.returncode}:\n{output[-3000:]}")
        try:
            server.api("GET", ready)
            return True
        except (URLError, ConnectionError):
            if time.monotonic() > deadline:
                pytest.fail(
                    f"jupyter did not answer within {start_s} s:\n"
                    f"{server.log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.25)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
