"""End to end: with heavy recent spending in the ledger, the server paces itself (and `off` not).

The ledger is seeded with five days of use at USD 0.50 a day, and the fake reports the balance
that leaves (USD 5.90): at 2.5/6 = 0.4167 USD a day (the burn window starts at the first day of
use, today included) the money lasts 14 of the grant's 25 remaining days, an overspend of
0.4167 x 25 / 5.90 = 1.77, so the pace factor is the next step, 2: windows 256/128 tokens
instead of 512/256. What the fake receives shows it.
"""

import asyncio
import json
import subprocess
import sys
from decimal import Decimal

from lsprotocol import types

from deepseek_fim.budget.ledger import Ledger
from deepseek_fim.testing.ledger_seed import seed_daily_spending
from deepseek_fim.testing.lsp_session import Session
from deepseek_fim.tokens import estimate_tokens

URI = "file:///work/project/big.py"
FAKE_ROW = {"hit": "0.0028", "miss": "0.14", "output": "0.28", "currency": "USD"}
SETTINGS = {
    "debounceMs": 0,
    "prices": {"deepseek-flash": FAKE_ROW, "deepseek-v4-flash": FAKE_ROW},
}
DAILY = Decimal("0.50")


def _seed_heavy_spending(data_dir: str) -> None:
    seed_daily_spending(data_dir, DAILY)


def _big_source() -> tuple[str, types.Position]:
    """600 lines of code before the cursor and 300 after, in its block: both windows are full.

    The lines after the cursor are long: the first few of them (all the suffix keeps) fill it.
    """
    before = [f"def function_{i}(value):\n    return value * {i} + {i * 7}\n" for i in range(300)]
    terms = " + ".join(f"function_{j}(value_{j})" for j in range(8))
    after = [f"    total_{i} = {terms}\n" for i in range(300)]
    text = "".join(before) + "\ndef total(a, b):\n    \n" + "".join(after)
    return text, types.Position(601, 4)


async def _one_request(server_env, fake, pace: str) -> tuple[dict, dict, dict]:
    session = await Session.start(server_env, {**SETTINGS, "pace": pace})
    try:
        text, cursor = _big_source()
        session.open(URI, text)
        payload = await session.wait_for_budget(lambda p: p["remainingFrom"] == "balance")
        assert await session.inline(URI, cursor) == ["return a + b"]
        status = await session.status()
        payload = await session.wait_for_budget(lambda p: p["lastCompletion"] is not None)
    finally:
        await session.stop()
    [request] = fake.fim_requests()
    return request, payload, status


async def test_heavy_spending_makes_the_server_send_smaller_prompts(server_env, fake):
    _seed_heavy_spending(server_env["DEEPSEEK_FIM_DATA_DIR"])
    fake.configure(balance=str(Decimal("8.40") - 5 * DAILY))
    request, payload, status = await _one_request(server_env, fake, "auto")

    assert payload["forecast"] == "runsOut"
    pace = payload["pace"]
    assert (pace["active"], pace["factor"], pace["mode"]) == (True, 2.0, "auto")
    assert (pace["prefixTokens"], pace["suffixTokens"]) == (256, 128)
    assert pace["midWordDebounceMs"] == 250  # 0 set, +250 ms at factor 2
    assert pace["prefetch"] is False
    assert payload["text"].endswith("· paced") and len(payload["text"]) < 30
    assert "Pacing: spending less (x2): at 0.4167 USD/day the money runs out" in payload["tooltip"]
    assert status["pace"]["factor"] == 2.0
    assert status["session"]["paced"] == 1

    body = request["body"]
    # The windows the fake received are the paced ones (the header is outside the budget; the
    # prefix window starts on a line grid, which may drop up to half of it).
    assert 60 <= estimate_tokens(body["suffix"]) <= 128  # whole lines under the budget
    assert 128 <= estimate_tokens(body["prompt"]) <= 256 + 20
    assert request["usage"]["prompt_tokens"] < 700

    # `deepseek-fim usage` shows the pace and its measured effect from the ledger.
    report = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deepseek_fim.cli", "usage", "--json"],
        env={"DEEPSEEK_FIM_DATA_DIR": server_env["DEEPSEEK_FIM_DATA_DIR"], "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data = json.loads(report.stdout)
    assert data["pace"]["factor"] == 2.0
    assert data["paceEffect"]["paced"] == 1
    assert data["paceEffect"]["pacedPromptTokens"] == request["usage"]["prompt_tokens"]
    assert data["paceEffect"]["unpaced"] == 50


async def test_pace_off_sends_the_full_windows(server_env, fake):
    _seed_heavy_spending(server_env["DEEPSEEK_FIM_DATA_DIR"])
    fake.configure(balance=str(Decimal("8.40") - 5 * DAILY))
    request, payload, status = await _one_request(server_env, fake, "off")

    assert payload["forecast"] == "runsOut"  # the forecast is the same...
    assert payload["pace"]["active"] is False  # ...but nothing is paced
    assert payload["pace"]["reason"] == "pacing is off (setting pace)"
    assert "paced" not in payload["text"]
    assert status["session"]["paced"] == 0
    body = request["body"]
    assert 150 <= estimate_tokens(body["suffix"]) <= 256
    assert 256 < estimate_tokens(body["prompt"]) <= 512 + 20


async def test_a_lasting_forecast_does_not_pace(server_env, fake):
    # The same history at a tenth of the cost lasts until expiry.
    data_dir = server_env["DEEPSEEK_FIM_DATA_DIR"]
    _seed_heavy_spending(data_dir)
    with Ledger(data_dir) as ledger:
        ledger._conn.execute("UPDATE usage SET cost_fe = cost_fe / 10, cost = '0.005'")
        ledger._conn.execute("UPDATE daily SET cost_fe = cost_fe / 10")
    fake.configure(balance="8.15")
    request, payload, _ = await _one_request(server_env, fake, "auto")
    assert payload["forecast"] == "lastsUntilExpiry"
    assert payload["pace"]["active"] is False
    assert payload["pace"]["reason"] == "the money lasts until the grant expires"
    assert estimate_tokens(request["body"]["suffix"]) >= 150
