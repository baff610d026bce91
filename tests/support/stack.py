"""The local stack (`python -m watcharr.local`) as a subprocess, for end-to-end tests and benchmarks.

``start_stack`` launches it in a process group of its own on random free ports, waits for its ready
line, and returns a ``StackProcess`` that knows the API's URL and the local user's token, makes HTTP
calls with the standard library, and stops the stack with SIGTERM (clean stop) or SIGKILL of the whole
group (a crash). ``running_stack`` does the same as a context manager that never leaks the processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcharr.models.messages import TERMINAL_STATES

READY_LINE = re.compile(r"2watcharr is running at (?P<url>http://\S+) — token in (?P<token_file>.+)$")
DEFAULT_READY_TIMEOUT = 90.0


class StackError(AssertionError):
    """The stack did not start or stop as expected; the message carries its output."""


@dataclass
class StackProcess:
    """A running local stack: its process, where it listens, its token and everything it printed."""

    process: subprocess.Popen[str]
    data_dir: Path
    url: str = ""
    token: str = ""
    ready_seconds: float = 0.0
    lines: list[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)
    _reader: threading.Thread | None = None

    # ---- output ----------------------------------------------------------------------------------

    @property
    def output(self) -> str:
        """Everything the stack wrote to stdout and stderr so far."""
        return "\n".join(self.lines)

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.lines.append(line)
            found = READY_LINE.search(line)
            if found and not self._ready.is_set():
                self.url = found["url"]
                token_file = Path(found["token_file"])
                if not token_file.is_absolute():
                    token_file = self.data_dir.parent / token_file
                self.token = token_file.read_text(encoding="utf-8").strip()
                self._ready.set()

    # ---- HTTP ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "",
        headers: dict[str, str] | None = None,
        timeout: float = 35.0,
    ) -> tuple[int, Any]:
        """One HTTP call; returns (status, parsed JSON body). ``token=""`` means the local user's token."""
        all_headers = {"Content-Type": "application/json"}
        if token is not None:
            all_headers["X-API-Token"] = token or self.token
        all_headers.update(headers or {})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw else None

    def wait_for_job(self, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll GET /api/jobs/{id} until every item is terminal; the job's last view."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            status, last = self.request("GET", f"/api/jobs/{job_id}")
            if status == 200 and last["items"] and all(i["state"] in TERMINAL_STATES for i in last["items"]):
                return dict(last)
            time.sleep(0.2)
        raise StackError(f"job {job_id} not finished after {timeout:.0f} s; last view: {last}\n{self.output}")

    # ---- stopping --------------------------------------------------------------------------------

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM to the runner and wait for it; its exit code (the group is killed if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            message = f"the stack did not stop within {timeout:.0f} s of SIGTERM"
            raise StackError(f"{message}\n{self.output}") from exc
        self._join_reader()
        return code

    def interrupt(self, timeout: float = 20.0) -> int:
        """SIGINT to the whole process group, as Ctrl-C in a terminal sends it; the runner's exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise StackError(
                f"the stack did not stop within {timeout:.0f} s of Ctrl-C\n{self.output}"
            ) from exc
        self._join_reader()
        return code

    def kill(self) -> None:
        """SIGKILL to the whole process group: a crash of the runner and every worker at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._join_reader()

    def _join_reader(self) -> None:
        # Workers share the output pipe; once the whole group is gone the reader sees its end.
        if self._reader is not None:
            self._reader.join(10)


def start_stack(
    data_dir: Path,
    *,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
) -> StackProcess:
    """Start `python -m watcharr.local --port 0 --data-dir <data_dir> <args>` and wait for its ready line."""
    command = [sys.executable, "-m", "watcharr.local", "--port", "0", "--data-dir", str(data_dir), *args]
    began = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=data_dir.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
    )
    stack = StackProcess(process=process, data_dir=data_dir)
    stack._reader = threading.Thread(target=stack._read_output, name="stack-output", daemon=True)
    stack._reader.start()
    deadline = began + ready_timeout
    while not stack._ready.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            reason = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
            stack.kill()
            raise StackError(f"the local stack did not become ready ({reason}):\n{stack.output}")
    stack.ready_seconds = time.monotonic() - began
    return stack


@contextmanager
def running_stack(data_dir: Path, **kwargs: Any) -> Iterator[StackProcess]:
    """``start_stack`` as a context manager: the whole group is gone afterwards, whatever happened."""
    stack = start_stack(data_dir, **kwargs)
    try:
        yield stack
    finally:
        if stack.process.poll() is None:
            with contextlib.suppress(StackError):
                stack.terminate()
        stack.kill()
