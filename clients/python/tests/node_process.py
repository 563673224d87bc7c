"""``safeguards node run`` child processes for the tests, as SafeguardsTestKit's NodeProcess starts them.

Each node gets its own data folder and config, listens on ``127.0.0.1:0`` for the API (it writes
the port it got to ``data_dir/api-address``), logs to a file shown only when a test fails, and is
ended by its pid.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parents[3]

#: Every node started in this test session, for the failure report.
STARTED: List["NodeProcess"] = []


def binary_path() -> str:
    """The ``safeguards`` binary: ``SAFEGUARDS_BIN``, else the debug build of this checkout."""
    path = os.environ.get("SAFEGUARDS_BIN") or str(REPO / ".build" / "debug" / "safeguards")
    if not os.access(path, os.X_OK):
        raise RuntimeError(
            f"no safeguards binary at {path}: run `swift build --product safeguards` or set SAFEGUARDS_BIN")
    return path


def free_port() -> int:
    """A loopback port free when checked, below the kernel's ephemeral range (as the Swift tests pick them)."""
    try:
        ephemeral_start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_start = 32768
    upper = max(20_001, min(ephemeral_start, 32_768))
    for _ in range(200):
        port = random.randrange(20_000, upper)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port")


class NodeProcess:
    """One node process. ``start()`` returns once its API (and federation listener) accept connections."""

    def __init__(self, data_dir: Path, token: str, system_id: str = "local", extra_config: str = "") -> None:
        self.data_dir = data_dir
        self.token = token
        self.system_id = system_id
        self.extra_config = extra_config
        self.log_path = data_dir / "node.log"
        self.url: Optional[str] = None
        self._process: Optional[subprocess.Popen] = None

    def start(self, attempts: int = 1200) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "node.yaml"
        config.write_text(
            f"system_id: {self.system_id}\n"
            f"data_dir: {self.data_dir}\n"
            "log_level: info\n"
            "api:\n"
            "  listen: 127.0.0.1:0\n"
            f"  token: {self.token}\n" + self.extra_config)
        address = self.data_dir / "api-address"
        address.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [binary_path(), "node", "run", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        STARTED.append(self)
        for _ in range(attempts):
            text = address.read_text().strip() if address.exists() else ""
            if text:
                self.url = text if "://" in text else f"http://{text}"
                return self.url
            if self._process.poll() is not None:
                raise RuntimeError(f"node {self.system_id} exited at start:\n{self.log()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"node {self.system_id} did not start listening:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM to the node's pid; SIGKILL if it still runs 15 s later."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self, last_lines: int = 200) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-last_lines:])
