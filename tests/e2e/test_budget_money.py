"""End to end: the grant as money, reconciled to the balance the fake DeepSeek API reports.

The fake charges each request at its own price row (V4-Flash: 0.0028 / 0.14 / 0.28 per 1M) and
reports its balance rounded to two decimals, as DeepSeek does. The sessions set the same row as
the `prices` override unless a test wants the table and the balance to disagree.
"""

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from lsprotocol import types

from deepseek_fim.budget.ledger import BalanceCheck, Ledger
from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"
SOURCE = "def add(a, b):\n    "
FAKE_ROW = {"hit": "0.0028", "miss": "0.14", "output": "0.28", "currency": "USD"}
SETTINGS = {
    "debounceMs": 0,
    "prices": {"deepseek-flash": FAKE_ROW, "deepseek-v4-flash": FAKE_ROW},
}


async def _request(session: Session, text: str) -> list[str]:
    session.type_text(URI, "\n" + text)
    return await session.inline(URI)


async def _refresh_balance(session: Session) -> None:
    await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="deepseekFim.refreshBalance", arguments=[])
    )


def _fake_cost(fake) -> Decimal:
    million = Decimal(1_000_000)
    return sum(
        (
            (
                u["prompt_cache_hit_tokens"] * Decimal("0.0028")
                + u["prompt_cache_miss_tokens"] * Decimal("0.14")
                + u["completion_tokens"] * Decimal("0.28")
            )
            / million
            for u in (r["usage"] for r in fake.fim_requests())
        ),
        Decimal(0),
    )


async def test_money_used_and_left_match_what_the_fake_charged(server_env, fake):
    session = await Session.start(server_env, SETTINGS)
    try:
        session.open(URI, SOURCE)
        # The balance read at start (8.40): requests after it are taken off it.
        await session.wait_for_budget(lambda p: p["remainingFrom"] == "balance")
        for text in ("a", "b", "c"):
            assert await _request(session, text) == ["return a + b"]
        charged = Decimal("8.40") - fake.balance
        assert charged == _fake_cost(fake) > 0
        payload = await session.wait_for_budget(
            lambda p: Decimal(p["cost"]) == charged and p["remainingFrom"] == "balance"
        )
        # The server read 8.40 at start; everything since is the ledger's, priced like the fake.
        assert Decimal(payload["remainingAmount"]) == fake.balance
        assert Decimal(payload["usedAmount"]) == charged
        assert payload["reconciliation"]["granted"] == "8.4"
        assert Decimal(payload["reconciliation"]["ledgerSince"]) == charged
        assert payload["text"].startswith("DeepSeek $8.")
        assert len(payload["text"]) < 30
        used = sum(
            r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]
            for r in fake.fim_requests()
        )
        # tokens left at this session's own mix: remaining / (charged / tokens used)
        expected = int(fake.balance * used / charged)
        assert payload["remainingTokens"] == expected
        assert payload["tokensBasis"] == "recent"
    finally:
        await session.stop()


async def test_the_reported_balance_is_the_authority(server_env, fake, tmp_path):
    session = await Session.start(server_env, SETTINGS)
    try:
        session.open(URI, SOURCE)
        await session.wait_for_budget(lambda p: p["remainingFrom"] == "balance")
        assert await _request(session, "a") == ["return a + b"]
        ledger_cost = _fake_cost(fake)
        # The key was used elsewhere: DeepSeek now reports 5.00 granted.
        fake.configure(balance="5.00")
        await _refresh_balance(session)
        payload = await session.wait_for_budget(lambda p: p["remainingAmount"] == "5")
        assert payload["remainingFrom"] == "balance"
        assert payload["usedAmount"] == "3.4"
        assert Decimal(payload["cost"]) == ledger_cost  # the ledger's own count stays
        assert Decimal(payload["reconciliation"]["unrecorded"]) == Decimal("3.4") - ledger_cost
        assert "Money left: 5.00 USD of 8.40" in payload["tooltip"]
        assert "from DeepSeek's granted balance, 5.00 USD at" in payload["tooltip"]
        assert payload["text"].startswith("DeepSeek $5.00 ")
        # A request after the check is taken off the reported balance, exactly as the fake did.
        assert await _request(session, "b") == ["return a + b"]
        after = fake.balance
        payload = await session.wait_for_budget(lambda p: Decimal(p["remainingAmount"]) == after)
        assert Decimal(payload["reconciliation"]["ledgerSince"]) == Decimal("5.00") - after
        # Under 20% of the grant's money left is `low`, whatever the token count says.
        fake.configure(balance="1.50")
        await _refresh_balance(session)
        low = await session.wait_for_budget(lambda p: p["state"] == "low")
        assert low["kind"] == "Warning" and low["remainingAmount"] == "1.5"
    finally:
        await session.stop()
    # The balance is kept in the ledger: the CLI report, with no key and no server, agrees.
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
    assert data["remainingFrom"] == "balance" and data["remainingAmount"] == "1.5"
    assert data["summary"][0][0] == "Money left"


async def test_a_price_table_the_balance_contradicts_is_reported(server_env, fake):
    # A day of use recorded at the table (0.756 USD), while the balance fell by 0.98.
    now = datetime.now(UTC)
    data = Path(server_env["DEEPSEEK_FIM_DATA_DIR"])
    with Ledger(data) as ledger:
        ledger.grant_start((now - timedelta(days=3)).date())
        ledger.record_balance(
            BalanceCheck(
                now - timedelta(hours=26), "USD", True, Decimal("8.40"), Decimal("8.40"), Decimal(0)
            )
        )
        # 10M hit, 5M miss, 100k output at V4-Flash: 0.028 + 0.70 + 0.028 = 0.756
        ledger.record(
            model="deepseek-v4-flash",
            hit=10_000_000,
            miss=5_000_000,
            output=100_000,
            cost=Decimal("0.756"),
            currency="USD",
            outcome="shown",
            at=now - timedelta(hours=25),
        )
    fake.configure(balance="7.42")
    session = await Session.start(server_env, {"debounceMs": 0})
    try:
        session.open(URI, SOURCE)
        payload = await session.wait_for_budget(lambda p: p["priceCheck"] is not None)
        check = payload["priceCheck"]
        assert check["disagrees"] is True
        assert (check["measured"], check["ledger"]) == ("0.98", "0.756")
        assert check["ratio"] == round(0.98 / 0.756, 4)
        # each kind at the table's price x 1.2963
        assert check["effectivePerMillion"]["miss"] == "0.181481"
        assert "Price table: the balance fell by 0.98 USD" in payload["tooltip"]
        assert ["Price table", check["text"]] in payload["summary"]
        await session.inline(URI)
        warnings = [m.message for m in session.messages if "price table looks off" in m.message]
        assert len(warnings) == 1 and "+30%" in warnings[0]
    finally:
        await session.stop()
