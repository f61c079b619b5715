"""A real `account360 serve` subprocess for the browser and log tests: a free loopback port,
start and wait for /healthz (the server's log in the failure), stop."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(cli: str, env: dict, port: int, log_path: Path, timeout: float = 30):
    """Start `account360 serve` on `port`; (url, process, open log file) once it answers."""
    log = open(log_path, "w")
    proc = subprocess.Popen([cli, "serve", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            return url, proc, log
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                log.close()
                raise AssertionError(Path(log_path).read_text()) from None
            time.sleep(0.2)


def stop_server(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
