"""A raw JSON-RPC connection to a `deepseek-fim-ls` subprocess, for malformed input and long runs.

`lsp_session.Session` speaks through pygls's client, which only sends well-formed messages. The fuzz
test, the memory checks and the soak benchmark need to send any bytes at all and to see every
message the server writes, so this client frames bodies itself (`Content-Length`), reads the
server's stdout on a thread, answers the server's own requests (`workspace/configuration` with the
given settings, anything else with null) and keeps every response and notification it receives.
It also reads the process's resident memory and open file descriptors from /proc (Linux).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from deepseek_fim.testing.lsp_session import SERVER_COMMAND


class RawServer:
    """One server process on stdio, spoken to in raw framed JSON-RPC."""

    def __init__(
        self,
        env: Mapping[str, str],
        configuration: Any = None,
        stderr: IO[bytes] | int = subprocess.DEVNULL,
        command: Sequence[str] = SERVER_COMMAND,
    ) -> None:
        """Start the server with env added to this process's environment.

        `command`: another way to start it (a benchmark runs a previous version's code).
        """
        self.configuration = configuration
        self.process = subprocess.Popen(  # noqa: S603 - our own server
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, **env},
        )
        self.responses: dict[Any, dict[str, Any]] = {}
        self.null_id_responses: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self._condition = threading.Condition()
        self._write_lock = threading.Lock()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # ----- writing

    def send_body(self, body: bytes) -> None:
        """Frame and send one message body as it is (it need not be valid JSON)."""
        assert self.process.stdin is not None
        with self._write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def send(self, message: Any) -> None:
        """Send one JSON value (usually a message object) with its `jsonrpc` field as given."""
        self.send_body(json.dumps(message).encode("utf-8", "surrogatepass"))

    def new_id(self) -> int:
        """A request id not used before on this connection."""
        self._next_id += 1
        return self._next_id

    def request(self, method: str, params: Any) -> int:
        """Send a request; return its id."""
        msg_id = self.new_id()
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id

    def notify(self, method: str, params: Any) -> None:
        """Send a notification."""
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def call(self, method: str, params: Any, timeout: float = 10.0) -> dict[str, Any]:
        """Send a request and wait for its response message."""
        return self.wait_response(self.request(method, params), timeout)

    def open_document(self, uri: str, text: str, language_id: str = "python") -> None:
        """Send didOpen for a new document at version 1."""
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language_id, "version": 1, "text": text}},
        )

    def inline_params(self, uri: str, line: int, character: int) -> dict[str, Any]:
        """The params of an automatic textDocument/inlineCompletion at a position."""
        return {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 2},
        }

    def initialize(self, initialization_options: Any = None) -> None:
        """Run the initialize handshake, with workspace/configuration support."""
        self.call(
            "initialize",
            {
                "processId": os.getpid(),
                "capabilities": {"workspace": {"configuration": True}},
                "initializationOptions": initialization_options,
            },
        )
        self.notify("initialized", {})

    def shutdown(self, timeout: float = 5.0) -> int | None:
        """Ask the server to shut down and exit; kill it if it does not. Return its exit code."""
        try:
            self.call("shutdown", None, timeout)
            self.notify("exit", None)
            return self.process.wait(timeout)
        except (OSError, TimeoutError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
            return None
        finally:
            self._reader.join(timeout)
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()

    # ----- reading

    def wait_response(self, msg_id: Any, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the response to msg_id; TimeoutError if none comes."""
        key = _id_key(msg_id)
        deadline = time.monotonic() + timeout
        with self._condition:
            while key not in self.responses:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.alive():
                    raise TimeoutError(f"no response to request {msg_id!r}")
                self._condition.wait(min(remaining, 0.5))
            return self.responses[key]

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> bool:
        """Wait until predicate() is true (checked whenever a message arrives)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.5))
            return True

    def messages_of(self, method: str) -> list[dict[str, Any]]:
        """The notifications of one method received so far."""
        with self._condition:
            return [n for n in self.notifications if n.get("method") == method]

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                header = stdout.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            message = json.loads(stdout.read(length))
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" in message:  # a request from the server
            result = None
            if message["method"] == "workspace/configuration":
                items = message.get("params", {}).get("items", [])
                result = [self.configuration for _ in items]
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            return
        with self._condition:
            if "method" in message:
                self.notifications.append(message)
            elif message.get("id") is None:
                self.null_id_responses.append(message)
            else:
                self.responses[_id_key(message["id"])] = message
            self._condition.notify_all()

    # ----- the process's resources

    def rss_bytes(self) -> int:
        """Resident set size of the server process."""
        return process_rss(self.process.pid)

    def open_fds(self) -> int:
        """Open file descriptors of the server process."""
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


def process_rss(pid: int) -> int:
    """Resident set size of a process in bytes (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _id_key(msg_id: Any) -> str:
    # As JSON text: 1 and "1" are different ids, and any JSON value can be a key.
    return json.dumps(msg_id)


def supported() -> bool:
    """True where /proc gives memory and descriptor figures."""
    return sys.platform.startswith("linux")
