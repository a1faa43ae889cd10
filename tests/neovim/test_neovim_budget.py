"""The budget in real Neovim: statusline from the fake's usage, 402, health, usage view."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FAKE_KEY, Editor, wait_until

pytestmark = pytest.mark.editor

GRANT = 5_000_000


def first_suggestion(editor: Editor, path: Path) -> None:
    editor.open(path, ["def add(a, b):", "    return "])
    editor.nvim.current.window.cursor = (2, 0)
    editor.type("A")


def latest_state(editor: Editor) -> str | None:
    state = editor.lua("local p = require('deepseek_fim.status').latest return p and p.state")
    return state if isinstance(state, str) else None


def test_statusline_shows_the_budget_from_the_fake_usage(editor: Editor, tmp_path: Path) -> None:
    first_suggestion(editor, tmp_path / "calc.py")
    editor.wait_ghost("a + b")
    requests = editor.fake.fim_requests()
    used = sum(r["usage"]["total_tokens"] for r in requests if r["usage"])
    assert used > 0

    def budget_reflects_usage() -> bool:
        status = editor.status()
        shown = editor.lua("return require('deepseek_fim').statusline()")
        return bool(status["usedTokens"] == used and shown == status["text"])

    wait_until(budget_reflects_usage, what=f"the statusline to count {used} used tokens")
    status = editor.status()
    assert status["state"] == "ok"
    # Money first: what the requests cost came off the USD 8.40 grant; tokens beside it. Once
    # the balance is read it is the authority, and DeepSeek shows it in cents: read after the
    # first request (the check starts once the server is initialized), it hides sub-cent use.
    total = Decimal(status["usedAmount"]) + Decimal(status["remainingAmount"])
    assert abs(total - Decimal("8.4")) < Decimal("0.01")
    assert Decimal(status["remainingAmount"]) <= Decimal("8.40")
    assert Decimal(status["cost"]) > 0
    assert status["text"].startswith("DeepSeek $8.") and " tok" in status["text"]
    assert len(status["text"]) < 30
    assert status["grantTokens"] == GRANT and status["remainingTokens"] > 0
    # A real 'statusline' expression, evaluated by Neovim, with the state's highlight group.
    editor.nvim.options["statusline"] = (
        "%!v:lua.require'deepseek_fim'.statusline({'highlight':v:true})"
    )
    shown = editor.nvim.api.eval_statusline(editor.nvim.options["statusline"], {"highlights": True})
    assert shown["str"].strip() == status["text"]
    groups = {h["group"] for h in shown["highlights"]}
    assert "DeepSeekFimStatusOk" in groups


def test_after_a_402_it_reports_exhausted_and_sends_nothing(editor: Editor, tmp_path: Path) -> None:
    first_suggestion(editor, tmp_path / "calc.py")
    editor.wait_ghost("a + b")
    wait_until(lambda: latest_state(editor) == "ok", what="the ok state")
    # The account runs dry: FIM answers 402 and the balance the server then checks says 0.
    editor.fake.configure(balance="0")
    editor.fake.script({"status": 402})
    before = len(editor.fake.fim_requests())
    editor.type("x")
    wait_until(lambda: latest_state(editor) == "exhausted", what="the exhausted state")
    statusline = editor.lua("return require('deepseek_fim').statusline({ highlight = true })")
    assert statusline.startswith("%#DeepSeekFimStatusExhausted#")
    sent = editor.fake.fim_requests()
    assert len(sent) == before + 1
    assert sent[-1]["status"] == 402
    editor.type("<BS>y + z<CR>w")
    wait_until(
        lambda: editor.nvim.current.buffer[:] == ["def add(a, b):", "    return y + z", "    w"],
        what=f"the typing to be processed: {editor.nvim.current.buffer[:]}",
    )
    time.sleep(1.5)  # debounce and a round trip, had anything been sent
    assert len(editor.fake.fim_requests()) == before + 1
    assert editor.ghost() is None
    assert editor.status()["state"] == "exhausted"


def test_checkhealth_reports_no_error_when_configured(editor: Editor, tmp_path: Path) -> None:
    first_suggestion(editor, tmp_path / "calc.py")
    editor.wait_ghost("a + b")
    editor.type("<Esc>")
    editor.nvim.command("checkhealth deepseek_fim")
    text = "\n".join(editor.nvim.current.buffer[:])
    assert "deepseek-fim: language server" in text
    assert "ERROR" not in text, text
    assert "key found (from DEEPSEEK_API_KEY)" in text
    assert "state ok" in text
    assert FAKE_KEY not in text
    expected_ghost = "vim.lsp.inline_completion" if editor.version == "0.12" else "extmarks drawn"
    assert expected_ghost in text


def test_checkhealth_reports_an_error_without_a_key(editor: Editor, tmp_path: Path) -> None:
    editor.lua("vim.env.DEEPSEEK_API_KEY = nil")
    editor.nvim.command("checkhealth deepseek_fim")
    text = "\n".join(editor.nvim.current.buffer[:])
    assert "ERROR" in text
    assert "DEEPSEEK_API_KEY is not set" in text


def test_usage_command_shows_the_ledger_table(editor: Editor, tmp_path: Path) -> None:
    first_suggestion(editor, tmp_path / "calc.py")
    editor.wait_ghost("a + b")
    editor.type("<Esc>")
    wait_until(lambda: editor.status()["days"], what="a day in the ledger")
    editor.nvim.command("DeepSeekFim usage")
    lines = editor.nvim.current.buffer[:]
    assert lines[0] == "DeepSeek FIM usage"
    day = editor.status()["days"][-1]
    # The table's rows (the chart under it has the date on its axis, further indented).
    rows = [line for line in lines if line.startswith("  " + day["date"])]
    assert len(rows) == 1
    assert rows[0].split()[1] == str(day["requests"])
    # The server's summary rows, as they are: money left, tokens left at the mix, pace.
    summary = editor.status()["summary"]
    labels = [label for label, _ in summary]
    assert labels[:2] == ["Money left", "Tokens left"]
    width = max(len(label) for label in labels)
    for label, text in summary:
        assert f"{label.ljust(width)}  {text}" in lines


def test_disable_stops_requests_and_enable_resumes(editor: Editor, tmp_path: Path) -> None:
    editor.open(tmp_path / "calc.py", ["def add(a, b):", "    return "])
    editor.nvim.command("DeepSeekFim disable")
    editor.nvim.current.window.cursor = (2, 0)
    editor.type("Aa")
    wait_until(lambda: editor.line(2) == "    return a", what="the typing")
    time.sleep(1.0)
    assert editor.fake.fim_requests() == []
    assert editor.ghost() is None
    editor.type("<Esc>")
    editor.nvim.command("DeepSeekFim enable")
    editor.type("A")
    wait_until(lambda: editor.fake.fim_requests(), what="a request once enabled again")


def test_status_command_shows_the_sessions_cache_hits(editor: Editor, tmp_path: Path) -> None:
    first_suggestion(editor, tmp_path / "calc.py")
    editor.wait_ghost("a + b")
    editor.type("<Esc>")
    wait_until(lambda: editor.status()["session"]["requests"] >= 1, what="a recorded request")
    editor.lua("_G.notified = {} vim.notify = function(msg) table.insert(_G.notified, msg) end")
    editor.nvim.command("DeepSeekFim status")
    [message] = editor.lua("return _G.notified")
    session = editor.status()["session"]
    hit, miss = session["promptHitTokens"], session["promptMissTokens"]
    billed = sum(
        r["usage"]["prompt_cache_miss_tokens"] for r in editor.fake.fim_requests() if r["usage"]
    )
    assert miss == billed > 0
    ratio = f"{session['cacheHitRatio'] * 100:.1f}%"
    assert (
        f"This session: {session['requests']} requests, prompt cache hits {ratio}"
        f" ({hit:,} of {hit + miss:,} prompt tokens)"
    ) in message.split("\n")
    # The budget line first, as the statusline has it (the latest budget notification).
    assert message.split("\n")[0] == editor.lua("return require('deepseek_fim.status').latest.text")
