"""The README's first-run commands work verbatim: after a (small) demo build, in a new shell
started in the checkout with nothing of this test's environment, every block marked
`<!-- first-run` runs as written and answers what it promises."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORT = 8360   # the port the README's commands call: the server's default


def first_run_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- first-run[^>]*-->\s*```bash\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2, "the README marks its first-run blocks"
    return blocks


def _wait_healthy(proc, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the demo stopped: " + proc.stderr.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the demo server did not come up")


def test_readme_commands_work_verbatim_after_the_demo(tmp_path):
    with socket.socket() as s:   # the README's URLs name the default port: it must be ours
        assert s.connect_ex(("127.0.0.1", PORT)) != 0, f"port {PORT} is already in use"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    fresh = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    # what scripts/demo.sh runs once .venv is installed, with a small workspace
    demo = subprocess.Popen([str(checkout / ".venv" / "bin" / "account360"), "demo",
                             "--accounts", "5", "--events", "500"], cwd=checkout, env=fresh,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_healthy(demo)
        script = "\n".join(first_run_blocks())
        done = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c",
                               script], cwd=checkout, env=fresh, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
    finally:
        demo.terminate()
        progress = demo.communicate(timeout=30)[1]
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    answer, end = json.JSONDecoder().raw_decode(out[out.index("{"):])   # curl: no newline
    assert answer["account"]["id"] == "acc-0001", answer.get("error")
    assert answer["match"] == {"by": "domain", "kind": "domain", "value": "prestigefoods.com"}
    assert re.search(r"loaded \d+, rejected 0", out[out.index("{") + end:]), out
    assert "demo 1/2: generating 5 accounts" in progress
    assert "demo 2/2: importing" in progress
    assert "source " in progress and "account360 token create" in progress
    assert (checkout / "data" / "account360.db").exists()
