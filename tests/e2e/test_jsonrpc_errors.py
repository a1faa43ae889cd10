"""End to end, raw JSON-RPC: malformed messages get the answer JSON-RPC 2.0 asks for, and one
log line each, never a traceback (issue 20)."""

from __future__ import annotations

import time
from pathlib import Path

from deepseek_fim.testing.raw_lsp import RawServer


def start(server_env: dict[str, str], log: Path) -> RawServer:
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        server = RawServer(server_env, stderr=stderr)
    server.initialize({"debounceMs": 0})
    return server


def stderr_lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8", errors="replace").splitlines()


def test_an_id_without_method_result_or_error_is_an_invalid_request(server_env, tmp_path):
    """Neither a Response (it has no `result` or `error`) nor a valid Request (no `method`):
    InvalidRequest, answered with its own id, since that id could be read."""
    server = start(server_env, tmp_path / "stderr.log")
    try:
        for msg_id in (41, "forty-two"):
            server.send({"jsonrpc": "2.0", "id": msg_id})
            answer = server.wait_response(msg_id, timeout=5)
            assert answer["error"]["code"] == -32600
            assert "method" in answer["error"]["message"]
        server.send({"jsonrpc": "2.0", "id": 43, "params": {}})
        assert server.wait_response(43, timeout=5)["error"]["code"] == -32600
        # A response with both members is malformed too, but a response is never answered.
        server.send({"jsonrpc": "2.0", "id": 44, "result": 1, "error": {"code": 1, "message": ""}})
        assert server.call("deepseekFim/status", {})["result"]["state"] == "ok"
        assert '"44"' not in server.responses and "44" not in server.responses
        assert not server.null_id_responses
    finally:
        server.shutdown()


def test_a_body_that_is_not_json_is_one_log_line_without_traceback(server_env, tmp_path):
    log = tmp_path / "stderr.log"
    server = start(server_env, log)
    try:
        server.call("deepseekFim/status", {})
        before = len(stderr_lines(log))
        bodies = [b"{not json", b"\xff\xfe not utf-8", b'{"jsonrpc": "2.0", "id": 1,']
        for body in bodies:
            server.send_body(body)
        assert server.wait_until(lambda: len(server.null_id_responses) == len(bodies), timeout=5)
        assert [r["error"]["code"] for r in server.null_id_responses] == [-32700] * 3
        server.call("deepseekFim/status", {})  # everything before it has been handled
        time.sleep(0.1)
        lines = stderr_lines(log)[before:]
        assert len(lines) == len(bodies), lines
        assert all("Parse error" in line for line in lines), lines
        assert not any("Traceback" in line for line in stderr_lines(log))
    finally:
        server.shutdown()
