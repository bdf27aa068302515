"""Real ``gallery`` processes for tests: started on a free loopback port, always stopped.

Every test that starts a server goes through :func:`gallery_running`, so that a failing
assertion, a timeout or Ctrl+C still ends the process (SIGINT as an operator would, then SIGKILL
if a busy machine keeps it waiting) and closes its log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT = 30.0  # generous: a second copy of the suite may be running beside this one
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``GALLERY_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(extra)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl+C, then kill if it takes too long; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch(
    args: list[str], env: Mapping[str, str], log: Path, *, cwd: Path | None = None, umask: int = -1
) -> subprocess.Popen[bytes]:
    """Start ``python -m gallery ARGS`` without waiting for it; output goes to ``log``.

    The caller stops it in a ``finally`` (:func:`stop`); :func:`gallery_running` does both.
    """
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gallery", *args],
            env=dict(env),
            cwd=cwd or log.parent,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            umask=umask,
        )


def wait_up(process: subprocess.Popen[bytes], port: int, log: Path) -> str:
    """Wait until ``process`` answers /healthz with 200 on ``port``; its URL."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while True:
            assert process.poll() is None, f"exited with {process.returncode}:\n{log.read_text()}"
            try:
                if client.get(base + "/healthz").status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not up after {START_TIMEOUT}s:\n{log.read_text()}"
            time.sleep(0.1)


@contextmanager
def gallery_running(
    args: list[str],
    env: Mapping[str, str],
    port: int,
    log: Path,
    *,
    cwd: Path | None = None,
    umask: int = -1,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``python -m gallery ARGS`` (ARGS name ``port``), wait for /healthz, yield its URL and
    process; output goes to ``log``."""
    process = launch(args, env, log, cwd=cwd, umask=umask)
    try:
        yield wait_up(process, port, log), process
    finally:
        stop(process)
