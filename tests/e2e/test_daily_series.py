"""End to end: the per-day series for charts is the same in `deepseekFim/status` and the CLI."""

import asyncio
import json
import sys

from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"


async def run_cli(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "deepseek_fim.cli", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    return stdout.decode()


async def test_status_and_cli_give_the_same_daily_series(session: Session, fake, server_env):
    session.open(URI, "def add(a, b):\n    ")
    for text in ("a", "b"):
        session.type_text(URI, "\n" + text)
        await session.inline(URI)
    usages = [r["usage"] for r in fake.fim_requests()]
    used = sum(u["prompt_tokens"] + u["completion_tokens"] for u in usages)
    await session.wait_for_budget(lambda p: p["usedTokens"] == used)
    status = await session.status()
    daily = status["daily"]
    today = daily["days"][-1]
    assert today["date"] == daily["today"]
    assert today["cumulative"] == used
    assert today["hit"] == sum(u["prompt_cache_hit_tokens"] for u in usages)
    assert today["miss"] == sum(u["prompt_cache_miss_tokens"] for u in usages)
    assert today["output"] == sum(u["completion_tokens"] for u in usages)
    # The grant in tokens is what the status says: used plus left at the user's mix.
    assert daily["grantTokens"] == status["usedTokens"] + status["remainingTokens"]
    assert daily["allowancePerDay"] == round(daily["grantTokens"] / 30)
    env = {**server_env, "PATH": ""}
    assert json.loads(await run_cli(env, "usage", "--json"))["daily"] == daily
    text = await run_cli(env, "usage")
    assert "Tokens per day" in text and "Grant used" in text
    assert f"{used:,}" in text.split("Tokens per day")[1]
