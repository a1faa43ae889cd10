"""The loopback fake of the DeepSeek API: `FakeDeepSeek` for Python tests and a CLI for the rest.

`FakeDeepSeek` runs the server on its own event loop in a background thread, so sync tests, async
tests and scripts drive it the same way. The CLI prints `FAKE_DEEPSEEK_URL=...` and serves until
SIGTERM/SIGINT; other processes steer it through `/_fake/config`, `/_fake/script`, `/_fake/log` and
`/_fake/reset`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

from deepseek_fim.testing.fake_config import FakeConfig
from deepseek_fim.testing.fake_server import FakeServer
from deepseek_fim.testing.fake_state import FakeState, LogEntry

logger = logging.getLogger(__name__)

_START_TIMEOUT = 10.0

__all__ = ["FakeConfig", "FakeDeepSeek", "LogEntry", "main"]


class FakeDeepSeek:
    """A fake DeepSeek API on 127.0.0.1, served from a background thread; thread-safe."""

    def __init__(
        self,
        completion: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **config: Any,
    ) -> None:
        if completion is not None:
            config["completion"] = completion
        self._state = FakeState(FakeConfig().updated(config))
        self._host = host
        self._port = port
        self._url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: FakeServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; return the base URL (`http://127.0.0.1:PORT`)."""
        if self._url is not None:
            return self._url
        loop = asyncio.new_event_loop()
        server = FakeServer(self._state)
        ready = threading.Event()
        failure: list[BaseException] = []
        address: list[tuple[str, int]] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                address.append(loop.run_until_complete(server.start(self._host, self._port)))
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(server.close())
                loop.close()

        thread = threading.Thread(target=run, name="fake-deepseek", daemon=True)
        thread.start()
        if not ready.wait(_START_TIMEOUT):
            raise RuntimeError("fake DeepSeek did not start")
        if failure:
            thread.join()
            raise RuntimeError(f"fake DeepSeek could not start: {failure[0]}") from failure[0]
        host, port = address[0]
        self._loop, self._thread, self._server = loop, thread, server
        self._url = f"http://{host}:{port}"
        return self._url

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(_START_TIMEOUT)
        self._loop = self._thread = self._server = None
        self._url = None

    def refuse_connections(self) -> None:
        """Stop listening and drop every connection: connecting is refused until further notice.

        As when the API is down or the network is gone, until `accept_connections`. Config, log
        and balance stay.
        """
        if self._url is None:
            return
        self._port = int(self._url.rsplit(":", 1)[1])  # come back on the same address
        self.stop()

    def accept_connections(self) -> None:
        """Listen again on the same address after `refuse_connections`."""
        self.start()

    def __enter__(self) -> FakeDeepSeek:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL; raises RuntimeError before `start()`."""
        if self._url is None:
            raise RuntimeError("FakeDeepSeek is not started")
        return self._url

    # --- steering ------------------------------------------------------------------------------

    @property
    def config(self) -> FakeConfig:
        """The current config."""
        return self._state.config

    def configure(self, **config: Any) -> FakeConfig:
        """Change config fields (see `FakeConfig`); setting `balance` also refills the balance."""
        return self._state.configure(config)

    def script(self, *responses: Mapping[str, Any]) -> int:
        """Queue scripted responses for the next FIM requests; return the queue length."""
        return self._state.add_script(responses)

    def reset(self) -> None:
        """Clear the log, the script and the cache; restore the configured balance."""
        self._state.reset()

    @property
    def resets(self) -> int:
        """API requests answered with a TCP reset while `reset_connections` was on."""
        return self._state.resets

    @property
    def balance(self) -> Decimal:
        """The balance left (USD, unrounded)."""
        return self._state.balance

    # --- observing -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[LogEntry]:
        """A snapshot of the request log (admin requests are not logged)."""
        return self._state.snapshot()

    def fim_requests(self) -> list[LogEntry]:
        """The log entries of `POST /beta/completions` requests."""
        return [e for e in self.requests if e["path"] == "/beta/completions"]

    def wait_for_requests(
        self, n: int, timeout: float = 5.0, *, finished: bool = True, path: str | None = None
    ) -> list[LogEntry]:
        """Block until `n` requests (to `path`, if given) are logged (and finished).

        Return the whole log, or raise TimeoutError.
        """
        return self._state.wait_for_requests(n, timeout, finished=finished, path=path)

    def wait_for_disconnect(self, timeout: float = 5.0) -> LogEntry:
        """Block until a client went away mid-request; return that entry or raise TimeoutError."""
        return self._state.wait_for_disconnect(timeout)

    async def wait_for_requests_async(
        self, n: int, timeout: float = 5.0, *, finished: bool = True, path: str | None = None
    ) -> list[LogEntry]:
        """`wait_for_requests` without blocking the caller's event loop."""
        return await asyncio.to_thread(
            self.wait_for_requests, n, timeout, finished=finished, path=path
        )

    async def wait_for_disconnect_async(self, timeout: float = 5.0) -> LogEntry:
        """`wait_for_disconnect` without blocking the caller's event loop."""
        return await asyncio.to_thread(self.wait_for_disconnect, timeout)


# --- CLI ---


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deepseek_fim.testing.fake_deepseek",
        description="Serve a fake DeepSeek API on loopback until SIGTERM/SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--completion", help="the text every completion returns")
    parser.add_argument("--latency-ms", type=float, help="delay before the first byte")
    parser.add_argument("--api-key", help="the only key accepted (default: any non-empty key)")
    parser.add_argument("--config", help="a JSON object of further config fields")
    return parser.parse_args(argv)


def _config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(args.config) if args.config else {}
    if not isinstance(config, dict):
        raise SystemExit("--config must be a JSON object")
    for name in ("completion", "latency_ms", "api_key"):
        value = getattr(args, name)
        if value is not None:
            config[name] = value
    return config


async def _serve(args: argparse.Namespace) -> None:
    state = FakeState(FakeConfig().updated(_config_from_args(args)))
    server = FakeServer(state)
    host, port = await server.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"FAKE_DEEPSEEK_URL=http://{host}:{port}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake from the command line; return the exit code."""
    args = _parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="fake-deepseek %(message)s")
    try:
        asyncio.run(_serve(args))
    except ValueError as exc:
        print(f"fake DeepSeek: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
