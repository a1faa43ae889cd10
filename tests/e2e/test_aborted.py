"""End to end: a request aborted after it reached the fake DeepSeek API is kept as possibly billed.

DeepSeek may bill the prompt of a request whose client went away; no `usage` says so. The server
keeps an estimate of that prompt (priced as cache misses, an upper bound) apart from the measured
tokens, shows it in the tooltip and the report, and uses it to explain a gap between the balance
and the ledger.
"""

import asyncio
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from deepseek_fim.budget.ledger import Ledger
from deepseek_fim.testing.lsp_session import Session
from deepseek_fim.tokens import estimate_tokens

URI = "file:///work/project/app.py"
# Enough text before and after the cursor for an estimate well above rounding.
SOURCE = (
    "import os\nimport sys\n\n\ndef load(path):\n    with open(path) as handle:\n"
    "        return handle.read()\n\n\ndef add(a, b):\n    \n\n\nprint(add(1, 2))\n"
)
CURSOR = types.Position(10, 4)
MISS = Decimal("0.14")  # the fake's cache-miss price per 1M tokens (V4-Flash)
FAKE_ROW = {"hit": "0.0028", "miss": str(MISS), "output": "0.28", "currency": "USD"}
SETTINGS = {
    "debounceMs": 0,
    "prices": {"deepseek-flash": FAKE_ROW, "deepseek-v4-flash": FAKE_ROW},
}


async def _abort_after_the_fake_got_it(session: Session, fake) -> dict:
    earlier = len(fake.fim_requests())
    msg_id, future = session.request_inline(URI, CURSOR)
    # The FIM request, logged by the fake once its whole body was read.
    await fake.wait_for_requests_async(
        earlier + 1, timeout=5, finished=False, path="/beta/completions"
    )
    assert len(fake.fim_requests()) == 1
    session.cancel(msg_id)
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(future, 5)
    assert raised.value.code == -32800  # RequestCancelled
    await fake.wait_for_disconnect_async(timeout=5)
    [request] = fake.fim_requests()
    assert request["disconnected"] and not request["completed"]
    assert request["usage"] is None  # the fake billed nothing it could report
    return request


def _possibly_billed_rows(data_dir: str) -> list[dict]:
    with Ledger(data_dir) as ledger:
        rows = ledger._conn.execute(
            "SELECT id FROM usage WHERE outcome = 'cancelled' ORDER BY id"
        ).fetchall()
        return [ledger.record_by_id(row[0]) for row in rows]


async def test_a_cancelled_request_that_reached_the_api_is_possibly_billed(server_env, fake):
    fake.configure(latency_ms=3000, balance_decimals=8)
    session = await Session.start(server_env, SETTINGS)
    try:
        session.open(URI, SOURCE)
        await session.wait_for_budget(lambda p: p["remainingFrom"] == "balance")
        request = await _abort_after_the_fake_got_it(session, fake)
        body = request["body"]
        # The estimate is the server's own token estimate of what it sent (prompt and suffix).
        expected = estimate_tokens(body["prompt"]) + estimate_tokens(body["suffix"])
        [row] = _possibly_billed_rows(server_env["DEEPSEEK_FIM_DATA_DIR"])
        assert row["possibly_billed"] == 1
        assert abs(row["est_prompt"] - expected) <= 2
        assert row["est_prompt"] > 40
        # Measured tokens and cost stay zero: nothing was measured.
        assert (row["hit"], row["miss"], row["output"], row["cost"]) == (0, 0, 0, "0")
        bound = Decimal(row["est_prompt"]) * MISS / 1_000_000  # priced as cache misses
        assert Decimal(row["est_cost_fe"]) / Decimal(10) ** 15 == bound

        payload = await session.wait_for_budget(lambda p: p["aborted"]["requests"] == 1)
        assert payload["aborted"]["promptTokens"] == row["est_prompt"]
        assert Decimal(payload["aborted"]["costAtMost"]) == bound
        assert Decimal(payload["cost"]) == 0  # not counted as used
        [aborted] = [text for label, text in payload["summary"] if label == "Aborted"]
        assert aborted.startswith(f"1 request, ≈{row['est_prompt']} prompt tokens possibly billed")
        assert "Aborted: 1 request," in payload["tooltip"]
        status = await session.status()
        assert status["session"]["possiblyBilled"] == 1
        assert status["session"]["possiblyBilledPromptTokens"] == row["est_prompt"]

        # DeepSeek's balance shows it was billed after all (a little less than the bound): the
        # gap between the balance and the ledger is explained by the aborted request.
        billed = (bound * Decimal("0.6")).quantize(Decimal("0.00000001"))
        fake.configure(balance=str(Decimal("8.40") - billed))
        await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="deepseekFim.refreshBalance", arguments=[])
        )
        payload = await session.wait_for_budget(
            lambda p: Decimal(p["reconciliation"]["unrecorded"]) > 0
        )
        rec = payload["reconciliation"]
        assert Decimal(rec["unrecorded"]) == billed
        assert Decimal(rec["possiblyBilled"]) == bound
        assert Decimal(rec["explainedByAborted"]) == billed
        assert Decimal(rec["unexplained"]) == 0
        assert "aborted requests may account for up to" in payload["tooltip"]
    finally:
        await session.stop()

    # `deepseek-fim usage` shows it apart too, from the ledger alone.
    report = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deepseek_fim.cli", "usage"],
        env={"DEEPSEEK_FIM_DATA_DIR": server_env["DEEPSEEK_FIM_DATA_DIR"], "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"Aborted      1 request, ≈{row['est_prompt']} prompt tokens possibly billed" in (
        report.stdout
    )
    as_json = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deepseek_fim.cli", "usage", "--json"],
        env={"DEEPSEEK_FIM_DATA_DIR": server_env["DEEPSEEK_FIM_DATA_DIR"], "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(as_json.stdout)["aborted"]["requests"] == 1


async def test_a_request_cancelled_in_the_debounce_is_not_billed(server_env, fake):
    session = await Session.start(server_env, {**SETTINGS, "debounceMs": 2000})
    try:
        # Inside a word inside a line: the whole debounce applies there (at a line start or
        # end there is none).
        session.open(URI, SOURCE.replace("def add(a, b):\n    \n", "def add(a, b):\n    ret)\n"))
        msg_id, future = session.request_inline(URI, types.Position(10, 7))
        await asyncio.sleep(0.2)
        session.cancel(msg_id)
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(future, 5)
        status = await session.status()
        assert status["session"]["possiblyBilled"] == 0
        assert fake.fim_requests() == []
    finally:
        await session.stop()
    assert _possibly_billed_rows(server_env["DEEPSEEK_FIM_DATA_DIR"]) == []
