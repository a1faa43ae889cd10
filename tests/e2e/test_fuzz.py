"""LSP fuzz test: generated messages, valid and invalid, into one server subprocess.

Hypothesis generates sequences of operations: edits (incremental and full, positions past the end,
CR/LF mixes, emoji, lone surrogates), completion and status requests, cancels, accepts, and broken
input (params that fail validation, notifications with an id, requests without one, bodies that
are not JSON or not UTF-8, values that are no message, unknown methods, stray responses). They
are written as raw framed JSON-RPC to the server's stdin. After each sequence:

- the server is alive;
- every request with a usable id got exactly one response, nothing else was answered, and each
  message that cannot carry a usable id but needs an answer got one with id null;
- no window/showMessage was sent (protocol errors are logged, never popped up);
- the server's log (stderr, and window/logMessage warnings) has at most one line per malformed
  or questionable message of the sequence, and never a traceback;
- the server's copy of the document equals a reference model of the valid edits: a completion at
  the end of the document makes the server send the whole document as the prompt to the fake
  DeepSeek API, where it is read back.

The number of messages is DEEPSEEK_FIM_FUZZ_MESSAGES (default 10,000, about 45 s).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseek_fim.documents import col_to_utf16, split_lines
from deepseek_fim.service import sendable_text
from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.raw_lsp import RawServer

pytestmark = pytest.mark.fuzz

MESSAGES = int(os.environ.get("DEEPSEEK_FIM_FUZZ_MESSAGES", "10000"))
OPS_PER_SEQUENCE = (10, 40)
URI = "file:///fuzz/doc.py"
OTHER_URI = "file:///fuzz/other.rs"
# No "=", quotes, "_", "-" or capitals: no secret pattern can match, so nothing is masked and
# the prompt is the document as it is. The completion uses a letter never typed, so the
# typed-ahead cache never answers in place of the API.
PIECES = ["a", "b", "x", " ", "\t", "(", ")", "\n", "\r", "\r\n", "é", "😀", "\ud800"]
COMPLETION = "qq"
HEADER = "# Path: doc.py\n# Language: python\n"
LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Tally:
    """What was sent and what came back, over the whole run."""

    messages: int = 0
    requests: int = 0
    null_id_expected: int = 0
    sequences: int = 0
    unanswered: int = 0
    popups: int = 0
    malformed: int = 0  # messages that may be logged (one line at most each)
    log_lines: int = 0


@dataclass
class Run:
    server: RawServer
    fake: FakeDeepSeek
    log: Path
    tally: Tally = field(default_factory=Tally)
    next_id: int = 0
    version: int = 0
    text: str = ""
    expected_ids: set[str] = field(default_factory=set)

    def new_id(self) -> int | str:
        self.next_id = self.server.new_id()  # one counter with the client's own requests
        # Both kinds of id; ids never repeat, so answers cannot be confused.
        return self.next_id if self.next_id % 3 else f"s{self.next_id}"

    def send(self, message: Any) -> None:
        self.server.send(message)
        self.tally.messages += 1

    def send_body(self, body: bytes) -> None:
        self.server.send_body(body)
        self.tally.messages += 1

    def request(self, method: str, params: Any) -> int | str:
        msg_id = self.new_id()
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        self.expected_ids.add(json.dumps(msg_id))
        self.tally.requests += 1
        return msg_id

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


# ----- the reference model: LSP positions over a plain string


def lines_of(text: str) -> list[str]:
    return split_lines(text)


def offset_of(text: str, line: int, character: int) -> int:
    """The string offset of an LSP position, clamped as the server clamps it."""
    parts = LINE_BREAK.split(text)
    breaks = LINE_BREAK.findall(text)
    if line >= len(parts):
        return len(text)
    offset = sum(len(parts[i]) + len(breaks[i]) for i in range(line))
    target = parts[line]
    units = 0
    for index, char in enumerate(target):
        if units >= character:
            return offset + index
        units += 2 if ord(char) > 0xFFFF else 1
    return offset + len(target)


def position(text: str, raw_line: int, raw_col: int) -> dict[str, int]:
    """A position from raw numbers: mostly inside the text, sometimes past a line or the end."""
    lines = lines_of(text)
    line = raw_line % (len(lines) + 1)
    if line == len(lines):
        return {"line": line + raw_col % 3, "character": raw_col % 5}
    content = lines[line]
    col = raw_col % (len(content) + 3)
    if col > len(content):
        return {"line": line, "character": col_to_utf16(content, len(content)) + col}
    return {"line": line, "character": col_to_utf16(content, col)}


def end_position(text: str) -> dict[str, int]:
    lines = lines_of(text)
    return {"line": len(lines) - 1, "character": col_to_utf16(lines[-1], len(lines[-1]))}


# ----- generated operations

texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
raw = st.integers(min_value=0, max_value=1000)
junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
bad_numbers = st.sampled_from([-1, 2**31, 2**53, -(2**31), 1e30, None, "3", [], {}, True, 0.5])
# Values no LSP position accepts (cattrs turns "3", True and 0.5 into numbers).
invalid_numbers = st.sampled_from([-1, 2**31, 2**53, -(2**31), 1e30, None, [], {}])

operations = st.one_of(
    st.tuples(st.just("edit"), raw, raw, raw, raw, texts),
    st.tuples(st.just("edit"), raw, raw, raw, raw, texts),
    st.tuples(st.just("full"), texts),
    st.tuples(st.just("inline"), raw, raw),
    st.tuples(st.just("completion"), raw, raw),
    st.tuples(st.just("status")),
    st.tuples(st.just("accept"), junk),
    st.tuples(st.just("cancel"), raw),
    st.tuples(st.just("other_doc"), st.sampled_from(["open", "change", "close", "never_opened"])),
    st.tuples(st.just("bad_position"), st.sampled_from(["line", "character"]), bad_numbers),
    st.tuples(st.just("bad_trigger"), st.sampled_from([0, 3, -1, "1", None, 2.5])),
    st.tuples(st.just("bad_params"), st.sampled_from(["inline", "completion", "change"]), junk),
    st.tuples(st.just("bad_edit"), invalid_numbers),
    st.tuples(st.just("notification_with_id"), st.sampled_from(["change", "open", "initialized"])),
    st.tuples(st.just("request_without_id")),
    st.tuples(st.just("bad_id"), st.sampled_from([None, [1], {"a": 1}, 1.5, True])),
    st.tuples(st.just("garbage"), st.binary(max_size=40)),
    st.tuples(st.just("not_a_message"), junk),
    st.tuples(st.just("bad_jsonrpc"), st.sampled_from(["1.0", None, 2, ""])),
    st.tuples(st.just("unknown_method"), st.booleans()),
    st.tuples(st.just("stray_response"), st.booleans()),
    st.tuples(st.just("response_without_result"), st.booleans()),
)


# Operations whose message may be logged by the server (as a warning, one line): everything
# that is not a valid edit or request. Valid ones must log nothing.
LOGGED_KINDS = frozenset(
    {
        "accept",
        "cancel",
        "other_doc",
        "bad_position",
        "bad_trigger",
        "bad_params",
        "bad_edit",
        "notification_with_id",
        "request_without_id",
        "bad_id",
        "garbage",
        "not_a_message",
        "bad_jsonrpc",
        "unknown_method",
        "stray_response",
        "response_without_result",
    }
)


def apply(run: Run, op: tuple[Any, ...]) -> None:
    """Send one operation; update the reference model and what must be answered."""
    kind = op[0]
    if kind in LOGGED_KINDS:
        run.tally.malformed += 1
    if kind == "edit":
        _, l1, c1, l2, c2, new = op
        start, end = position(run.text, l1, c1), position(run.text, l2, c2)
        a = offset_of(run.text, start["line"], start["character"])
        b = offset_of(run.text, end["line"], end["character"])
        if b < a:
            start, end, a, b = end, start, b, a
        run.text = run.text[:a] + new + run.text[b:]
        run.version += 1
        run.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": URI, "version": run.version},
                "contentChanges": [{"range": {"start": start, "end": end}, "text": new}],
            },
        )
    elif kind == "full":
        run.text = op[1]
        run.version += 1
        run.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": URI, "version": run.version},
                "contentChanges": [{"text": op[1]}],
            },
        )
    elif kind in ("inline", "completion"):
        params: dict[str, Any] = {
            "textDocument": {"uri": URI},
            "position": position(run.text, op[1], op[2]),
        }
        if kind == "inline":
            params["context"] = {"triggerKind": 1 + op[1] % 2}
            run.request("textDocument/inlineCompletion", params)
        else:
            run.request("textDocument/completion", params)
    elif kind == "status":
        run.request("deepseekFim/status", {})
    elif kind == "accept":
        run.request(
            "workspace/executeCommand",
            {"command": "deepseekFim.accept", "arguments": [op[1], op[1]]},
        )
    elif kind == "cancel":
        run.notify("$/cancelRequest", {"id": op[1] % (run.next_id + 1)})
    elif kind == "other_doc":
        other = {"uri": OTHER_URI, "languageId": "rust", "version": 1, "text": "fn main() {}\n"}
        if op[1] == "open":
            run.notify("textDocument/didOpen", {"textDocument": other})
        elif op[1] == "close":
            run.notify("textDocument/didClose", {"textDocument": {"uri": OTHER_URI}})
        else:
            uri = OTHER_URI if op[1] == "change" else "file:///fuzz/never-opened.py"
            run.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "x\n"}]},
            )
    elif kind == "bad_position":
        good = {"line": 0, "character": 0}
        run.request(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": URI},
                "position": {**good, op[1]: op[2]},
                "context": {"triggerKind": 1},
            },
        )
    elif kind == "bad_trigger":
        run.request(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": URI},
                "position": {"line": 0, "character": 0},
                "context": {"triggerKind": op[1]},
            },
        )
    elif kind == "bad_params":
        method = {
            "inline": "textDocument/inlineCompletion",
            "completion": "textDocument/completion",
            "change": "textDocument/didChange",
        }[op[1]]
        params = op[2] if isinstance(op[2], dict | list) else [op[2]]
        if op[1] == "change":
            run.notify(method, params)  # fails validation: no effect, no answer
        else:
            run.request(method, params)
    elif kind == "bad_edit":
        run.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": URI, "version": run.version + 1},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": op[1], "character": 0},
                            "end": {"line": 0, "character": 0},
                        },
                        "text": "never applied",
                    }
                ],
            },
        )
    elif kind == "notification_with_id":
        params = {
            "change": {
                "textDocument": {"uri": URI, "version": run.version + 1},
                "contentChanges": [{"text": "never applied"}],
            },
            "open": {
                "textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": "no"}
            },
            "initialized": {},
        }[op[1]]
        method = {"change": "textDocument/didChange", "open": "textDocument/didOpen"}.get(
            op[1], "initialized"
        )
        run.request(method, params)  # InvalidRequest, and not applied
    elif kind == "request_without_id":
        run.notify(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": URI},
                "position": {"line": 0, "character": 0},
                "context": {"triggerKind": 1},
            },
        )
    elif kind == "bad_id":
        run.send({"jsonrpc": "2.0", "id": op[1], "method": "deepseekFim/status", "params": {}})
        run.tally.null_id_expected += 1
    elif kind == "garbage":
        body = op[1]
        try:
            value = json.loads(body)
        except ValueError:
            value = _UNPARSABLE
        run.send_body(body)
        if not body:
            pass  # "Content-Length: 0" frames nothing: there is no message to answer
        elif value is _UNPARSABLE or not isinstance(value, dict):
            run.tally.null_id_expected += 1
        elif _answers_with_id(value):
            run.expected_ids.add(json.dumps(value["id"]))
        elif _answers_with_null(value):
            run.tally.null_id_expected += 1
    elif kind == "not_a_message":
        value = op[1]
        run.send(value)
        if not isinstance(value, dict):
            run.tally.null_id_expected += 1
        elif _answers_with_id(value):
            run.expected_ids.add(json.dumps(value["id"]))
        elif _answers_with_null(value):
            run.tally.null_id_expected += 1
    elif kind == "bad_jsonrpc":
        msg_id = run.new_id()
        run.send({"jsonrpc": op[1], "id": msg_id, "method": "deepseekFim/status", "params": {}})
        run.expected_ids.add(json.dumps(msg_id))
        run.tally.requests += 1
    elif kind == "unknown_method":
        if op[1]:
            run.request("fuzz/unknown", {"a": 1})  # MethodNotFound
        else:
            run.notify("fuzz/unknown", {"a": 1})  # ignored
    elif kind == "stray_response":
        key = "result" if op[1] else "error"
        value = {"code": 1, "message": "stray"} if key == "error" else None
        run.send({"jsonrpc": "2.0", "id": f"nobody-{run.next_id}", key: value})
    elif kind == "response_without_result":
        # An id and neither method nor result/error: InvalidRequest with that id. With both
        # result and error it is a malformed response: never answered.
        if op[1]:
            msg_id = run.new_id()
            run.send({"jsonrpc": "2.0", "id": msg_id})
            run.expected_ids.add(json.dumps(msg_id))
            run.tally.requests += 1
        else:
            error = {"code": 1, "message": "both"}
            run.send({"jsonrpc": "2.0", "id": f"nobody-{run.next_id}", "result": 1, "error": error})
    else:  # pragma: no cover - every kind is handled above
        raise AssertionError(kind)


_UNPARSABLE = object()


def _usable(msg_id: Any) -> bool:
    return isinstance(msg_id, int | str) and not isinstance(msg_id, bool)


def _answers_with_id(value: dict[str, Any]) -> bool:
    """A generated object that the server must answer with its own id: anything with a usable
    id but a response (an object with `jsonrpc`, no `method`, and `result` or `error`)."""
    if "id" not in value or not _usable(value["id"]):
        return False
    is_response = "jsonrpc" in value and "method" not in value
    return not (is_response and ("result" in value or "error" in value))


def _answers_with_null(value: dict[str, Any]) -> bool:
    """A generated object the server must answer with id null (an id it cannot use)."""
    if "jsonrpc" not in value:
        return "id" not in value or not _usable(value["id"])
    if "id" in value and not _usable(value["id"]):
        return "method" in value
    return False


def read_back(run: Run) -> str:
    """The server's copy of the document, as the prompt it sends to the fake API.

    A last line no earlier request saw is typed first: a request at a place asked before is
    answered from the server's recent answers, without reaching the API.
    """
    end = end_position(run.text)
    marker = f"\n#read-back {run.next_id}"
    run.text += marker
    run.version += 1
    run.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": URI, "version": run.version},
            "contentChanges": [{"range": {"start": end, "end": end}, "text": marker}],
        },
    )
    before = len(run.fake.fim_requests())
    msg_id = run.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": URI},
            "position": end_position(run.text),
            "context": {"triggerKind": 1},
        },
    )
    response = run.server.wait_response(msg_id, timeout=30)
    requests = run.fake.fim_requests()
    if len(requests) <= before:
        status = run.server.call("deepseekFim/status", {})["result"]
        logs = [m["params"]["message"] for m in run.server.messages_of("window/logMessage")]
        raise AssertionError(("no request reached the API", response, status["state"], logs[-8:]))
    body = requests[-1]["body"]
    assert body["prompt"].startswith(HEADER), body["prompt"][:80]
    return body["prompt"][len(HEADER) :] + body["suffix"]


@pytest.fixture(scope="module")
def fuzz_run() -> Iterator[Run]:
    with FakeDeepSeek(completion=COMPLETION) as fake:
        import tempfile

        with tempfile.TemporaryDirectory() as data_dir:
            log = Path(data_dir) / "stderr.log"
            with log.open("wb") as stderr:  # the server keeps its own descriptor
                server = RawServer(
                    {
                        "DEEPSEEK_API_KEY": "sk-fake-fuzz-key",
                        "DEEPSEEK_BASE_URL": fake.url,
                        "DEEPSEEK_FIM_DATA_DIR": data_dir,
                    },
                    stderr=stderr,
                )
            server.initialize({"debounceMs": 0})
            run = Run(server, fake, log)
            yield run
            code = server.shutdown()
            assert code == 0


@settings(
    # Sequences average about 20 messages; extra examples return at once when the count is met.
    max_examples=max(MESSAGES // 12, 1),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    initial=texts,
    ops=st.lists(operations, min_size=OPS_PER_SEQUENCE[0], max_size=OPS_PER_SEQUENCE[1]),
)
def test_fuzzed_messages(fuzz_run: Run, initial: str, ops: list[tuple[Any, ...]]) -> None:
    run = fuzz_run
    if run.tally.messages >= MESSAGES:
        return
    server = run.server
    run.expected_ids = set()
    null_before = run.tally.null_id_expected
    malformed_before = run.tally.malformed
    lines_before = len(log_lines(run))
    warnings_before = len(warnings_sent(run))
    received_null_before = len(server.null_id_responses)
    answered_before = set(server.responses)
    run.text = initial
    run.version = 1
    run.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": initial}},
    )
    for op in ops:
        apply(run, op)
    document = read_back(run)
    for msg_id in run.expected_ids:
        try:
            server.wait_response(json.loads(msg_id), timeout=30)
        except TimeoutError:
            run.tally.unanswered += 1
    expected_null = run.tally.null_id_expected - null_before
    server.wait_until(
        lambda: len(server.null_id_responses) - received_null_before >= expected_null, timeout=10
    )
    received_null = len(server.null_id_responses) - received_null_before
    run.tally.unanswered += max(expected_null - received_null, 0)
    run.tally.popups = len(server.messages_of("window/showMessage"))
    assert server.alive()
    assert run.tally.unanswered == 0, "every request got a response"
    assert received_null == expected_null, "answers with id null: one per message that needs one"
    assert set(server.responses) - answered_before == run.expected_ids, "nothing else answered"
    assert run.tally.popups == 0, server.messages_of("window/showMessage")
    assert document == "\n".join(lines_of(sendable_text(run.text)))
    # Every message before the read-back has been handled, and its log lines written.
    lines = log_lines(run)
    new_lines = lines[lines_before:]
    malformed = run.tally.malformed - malformed_before
    run.tally.log_lines = len(lines)
    tracebacks = [i for i, line in enumerate(lines) if "Traceback" in line]
    assert not tracebacks, "\n".join(lines[max(tracebacks[0] - 2, 0) : tracebacks[0] + 30])
    # Lines about the messages themselves (the JSON-RPC edge, pygls): at most one each. Other
    # lines depend on timing, not on the input (a connection pool found stuck under load).
    about_messages = [
        line for line in new_lines if not any(marker in line for marker in TIMING_LOG_LINES)
    ]
    assert len(about_messages) <= malformed, f"{malformed} malformed:\n" + "\n".join(new_lines)
    warned = [
        m["params"]["message"]
        for m in warnings_sent(run)[warnings_before:]
        if not any(marker in m["params"]["message"] for marker in TIMING_LOG_LINES)
    ]
    assert len(warned) <= malformed, warned
    run.tally.sequences += 1


# Log lines of the server that follow from timing, not from a message (found inside a line).
TIMING_LOG_LINES = ("deepseek_fim.deepseek.client: the HTTP connection pool was stuck",)


def log_lines(run: Run) -> list[str]:
    """The server's stderr so far, line by line."""
    return run.log.read_text(encoding="utf-8", errors="replace").splitlines()


def warnings_sent(run: Run) -> list[dict[str, Any]]:
    """window/logMessage notifications of type Error or Warning."""
    return [m for m in run.server.messages_of("window/logMessage") if m["params"]["type"] <= 2]


def test_fuzz_report(fuzz_run: Run) -> None:
    """Runs after the fuzz test in this module: the totals, and that there were enough."""
    tally = fuzz_run.tally
    print(
        f"\nfuzz: {tally.messages} messages in {tally.sequences} sequences, {tally.requests} "
        f"requests with ids, {tally.null_id_expected} answers with id null expected; "
        f"{tally.unanswered} unanswered, {tally.popups} pop-ups; {tally.log_lines} log lines "
        f"for {tally.malformed} malformed or questionable messages, no traceback"
    )
    assert tally.messages >= MESSAGES
    assert tally.unanswered == 0 and tally.popups == 0
    assert fuzz_run.server.alive()
