"""End to end, against the server subprocess in raw JSON-RPC: the defects of issue 8."""

import time

from deepseek_fim.testing.raw_lsp import RawServer

URI = "file:///work/project/app.py"
INLINE = "textDocument/inlineCompletion"


def start(server_env, options=None, configuration=None) -> RawServer:
    server = RawServer(server_env, configuration=configuration)
    server.initialize({"debounceMs": 0, **(options or {})})
    return server


def open_doc(server: RawServer, text: str, uri: str = URI) -> None:
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )


def inline(server: RawServer, line: int, character: int, uri: str = URI) -> dict:
    return server.call(
        INLINE,
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 1},
        },
    )


def change(server: RawServer, version: int, line: int, text: str, uri: str = URI) -> None:
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": line, "character": 0},
                        "end": {"line": line, "character": 0},
                    },
                    "text": text,
                }
            ],
        },
    )


def test_memory_per_did_change_is_bounded(server_env):
    """20,000 didChange (to an open and a never-opened document): pygls keeps no future per
    notification, and the RSS growth stays far below the 2 KB per change it used to be."""
    server = start(server_env)
    try:
        open_doc(server, "x = 1\n")
        for version in range(2, 2002):  # warm up
            change(server, version, 1, "y")
        server.call("deepseekFim/status", {}, 60)
        before = server.rss_bytes()
        for version in range(2002, 22002):
            change(server, version, 1, "y", URI if version % 2 else "file:///never/opened.py")
        status = server.call("deepseekFim/status", {}, 120)["result"]
        grown = server.rss_bytes() - before
        assert status["process"]["pendingFutures"] == 0
        # The leak was 2 KB per change, 40 MB here; allow a tenth of that for allocator noise.
        assert grown < 4_000_000, f"RSS grew {grown} bytes over 20,000 changes"
    finally:
        server.shutdown()


def test_invalid_requests_are_answered_and_never_popped_up(server_env):
    server = start(server_env)
    try:
        open_doc(server, "x = 1\n")
        base = {"textDocument": {"uri": URI}, "context": {"triggerKind": 1}}
        bad = [
            {**base, "position": {"line": -1, "character": 0}},
            {**base, "position": {"line": 0, "character": 2**31}},
            {**base, "position": {"line": 0, "character": None}},
            {**base, "position": {"line": 0, "character": 0}, "context": {"triggerKind": 3}},
            [],
        ]
        for params in bad:
            answer = server.call(INLINE, params)
            assert answer["error"]["code"] == -32602
            assert "Invalid params for textDocument/inlineCompletion" in answer["error"]["message"]
        msg_id = server.new_id()
        server.send(
            {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/didChange", "params": {}}
        )
        assert server.wait_response(msg_id)["error"]["code"] == -32600
        server.send_body(b"{not json")
        server.send_body(b"[1, 2]")
        server.send({"jsonrpc": "2.0", "id": [1], "method": "deepseekFim/status", "params": {}})
        server.notify(INLINE, {**base, "position": {"line": 0, "character": 0}})  # no id
        assert server.wait_until(lambda: len(server.null_id_responses) == 3, timeout=5)
        codes = [r["error"]["code"] for r in server.null_id_responses]
        assert codes == [-32700, -32600, -32600]
        assert server.call("deepseekFim/status", {})["result"]["state"] == "ok"
        time.sleep(0.3)
        assert not server.messages_of("window/showMessage")
        assert len(server.responses) == len(bad) + 3  # and initialize, didChange-with-id, status
    finally:
        server.shutdown()


def test_secret_split_by_the_cursor_is_masked(server_env, fake):
    server = start(server_env)
    try:
        open_doc(server, 'db_password = "hunter2-correct-horse"\n')
        inline(server, 0, 22)  # inside the value, between the quotes
        body = fake.fim_requests()[-1]["body"]
        sent = body["prompt"] + body["suffix"]
        assert "hunter2" not in sent and "correct-horse" not in sent
        assert body["prompt"].endswith('db_password = "<masked>')
        assert body["suffix"].startswith('"')
    finally:
        server.shutdown()


def test_lone_surrogates_are_sent_as_replacement_characters(server_env, fake):
    server = start(server_env)
    try:
        open_doc(server, "s = '\ud800'\n")
        answer = inline(server, 0, 7)
        assert "result" in answer
        assert "\ufffd" in fake.fim_requests()[-1]["body"]["prompt"]
        accepted = server.call(
            "workspace/executeCommand", {"command": "deepseekFim.accept", "arguments": ["\udc00"]}
        )
        assert "error" not in accepted
    finally:
        server.shutdown()


def test_a_cr_and_an_lf_joined_by_an_edit_are_one_line_break(server_env, fake):
    server = start(server_env)
    try:
        open_doc(server, "a\rb")
        change(server, 2, 1, "\n")  # "a\r\nb": still two lines, as in the editor
        inline(server, 1, 1)
        assert fake.fim_requests()[-1]["body"]["prompt"].endswith("\na\nb")
    finally:
        server.shutdown()


def test_huge_grant_gives_a_budget_and_a_status(server_env):
    server = start(server_env, {"grant": {"tokens": 10**12}})
    try:
        open_doc(server, "def add(a, b):\n    ")
        assert inline(server, 1, 4)["result"]["items"]
        status = server.call("deepseekFim/status", {})
        assert status["result"]["grantTokens"] == 10**12
        assert server.wait_until(
            lambda: any(
                n["params"]["usedTokens"] > 0 for n in server.messages_of("deepseekFim/budget")
            ),
            timeout=5,
        )
    finally:
        server.shutdown()


def test_unusable_data_dir_falls_back_to_a_private_ledger(server_env, fake):
    for data_dir in ("/tmp/has\x00nul", "~no-such-user-deepseek-fim/data"):
        server = start(server_env, configuration={"dataDir": data_dir})
        try:
            open_doc(server, "def add(a, b):\n    ")
            assert server.wait_until(
                lambda server=server: any(
                    "cannot open the usage ledger" in m["params"]["message"]
                    for m in server.messages_of("window/showMessage")
                ),
                timeout=5,
            )
            sent = len(fake.fim_requests())
            assert inline(server, 1, 4)["result"]["items"]
            assert len(fake.fim_requests()) == sent + 1
            status = server.call("deepseekFim/status", {})["result"]
            usage = fake.fim_requests()[-1]["usage"]
            assert status["session"]["requests"] >= 1
            assert status["usedTokens"] >= usage["prompt_tokens"] + usage["completion_tokens"]
        finally:
            server.shutdown()


def test_excluded_by_the_project_ignore_file(server_env, fake, tmp_path):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "secret-santa").mkdir()
    (project / ".deepseekfimignore").write_text("generated/\n*.sql\n")
    server = start(server_env)
    try:
        for name, sent in (
            ("secret-santa/app.py", True),
            ("generated/x.py", False),
            ("q.sql", False),
        ):
            uri = (project / name).as_uri()
            open_doc(server, "def add(a, b):\n    ", uri)
            before = len(fake.fim_requests())
            inline(server, 1, 4, uri)
            assert (len(fake.fim_requests()) > before) == sent, name
    finally:
        server.shutdown()
