"""End to end: prompts that DeepSeek's prefix cache can hit, and the session's hit ratio.

The fake bills cache hits as DeepSeek does (whole 64-token units of a prompt beginning sent
before); `deepseekFim/status` reports this server session's hit and miss tokens from the
ledger, apart from other sessions sharing the ledger.
"""

import asyncio

from deepseek_fim.sources.warmth import CACHE_BUILD_S
from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"
OTHER = "file:///work/project/models.py"
# 60 functions above the cursor: a prompt of several 64-token units.
SOURCE = "".join(f"def f_{i}(v):\n    return v * {i}\n\n" for i in range(60)) + "def g(a, b):\n    "


async def _typed_requests(session: Session, texts: list[str]) -> None:
    session.open(URI, SOURCE)
    for index, text in enumerate(texts):
        session.type_text(URI, text)  # new text: nothing can answer it without a request
        await session.inline(URI)
        if index == 0 and len(texts) > 1:  # DeepSeek builds the cache within seconds
            await asyncio.sleep(CACHE_BUILD_S + 0.1)


async def test_session_cache_hits_come_from_the_usage_records(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": 0})
    try:
        await _typed_requests(session, ["x", "\n    y", "\n    z"])
        status = await session.status()
    finally:
        await session.stop()
    usages = [r["usage"] for r in fake.fim_requests()]
    assert len(usages) == 3
    hit = sum(u["prompt_cache_hit_tokens"] for u in usages)
    miss = sum(u["prompt_cache_miss_tokens"] for u in usages)
    # The prompt's start stays byte-identical while typing: the 2nd and 3rd prompts hit.
    assert usages[0]["prompt_cache_hit_tokens"] == 0
    assert all(u["prompt_cache_hit_tokens"] >= 64 * 5 for u in usages[1:])
    stats = status["session"]
    assert (stats["promptHitTokens"], stats["promptMissTokens"]) == (hit, miss)
    assert stats["cacheHitRatio"] == round(hit / (hit + miss), 4)

    # A second server on the same ledger: its session starts from nothing, while the grant's
    # figures count both.
    fake.reset()
    second = await Session.start(server_env, {"debounceMs": 0})
    try:
        await _typed_requests(second, ["w"])
        again = await second.status()
    finally:
        await second.stop()
    [usage] = [r["usage"] for r in fake.fim_requests()]
    assert again["session"]["requests"] == 1
    assert again["session"]["promptHitTokens"] == usage["prompt_cache_hit_tokens"] == 0
    assert again["session"]["promptMissTokens"] == usage["prompt_cache_miss_tokens"]
    total_hit, total_miss = hit, miss + usage["prompt_cache_miss_tokens"]
    assert again["cacheHitRatio"] == round(total_hit / (total_hit + total_miss), 4)


async def test_switching_buffers_keeps_the_context_head_stable(session, fake):
    # Definitions of other buffers come first, in path order, whatever was used last: going
    # back and forth between files sends the same prompt head each time.
    session.open(OTHER, "class User:\n    name: str\n    email: str\n")
    session.open("file:///work/project/alpha.py", "ALPHA = 1\n")
    session.open(URI, SOURCE)
    for uri in (OTHER, "file:///work/project/alpha.py", URI):
        await session.inline(uri, None)
    await asyncio.sleep(CACHE_BUILD_S + 0.1)  # else the next prompt is lean (sources/warmth.py)
    session.type_text(URI, "x")
    await session.inline(URI)
    prompts = [r["body"]["prompt"] for r in fake.fim_requests()]
    last = prompts[-1]
    assert last.index("Definitions in alpha.py") < last.index("Definitions in models.py")
    assert last.index("#     email: str") < last.index("# Path: app.py")
    # The last two requests in app.py share everything before the cursor line.
    assert prompts[-1][: prompts[-2].rindex("\n")] == prompts[-2][: prompts[-2].rindex("\n")]


async def test_a_new_place_is_asked_lean_until_its_cache_is_built(session, fake):
    # At a new place the first prompt carries the context and the whole window; DeepSeek
    # builds its cache within seconds, so a second request before then would pay all of it
    # again: it goes lean (a short window, and no context that is not cached yet). After that
    # the whole prompt comes back, byte-identical at its start, and hits.
    session.open(OTHER, "class User:\n    name: str\n    email: str\n")
    session.open(URI, SOURCE)
    for text in ("x", "y"):
        session.type_text(URI, text)
        await session.inline(URI)
    await asyncio.sleep(CACHE_BUILD_S + 0.1)
    session.type_text(URI, "z")
    await session.inline(URI)
    first, lean, whole = fake.fim_requests()
    assert "Definitions in models.py" in first["body"]["prompt"]
    assert "Definitions in models.py" not in lean["body"]["prompt"]
    assert lean["body"]["prompt"].endswith("def g(a, b):\n    xy")
    # A 256-token window instead of the whole (512) one, and no context.
    assert lean["usage"]["prompt_tokens"] < 0.6 * first["usage"]["prompt_tokens"]
    assert whole["body"]["prompt"].startswith(first["body"]["prompt"][:-1])
    assert whole["usage"]["prompt_cache_hit_tokens"] >= first["usage"]["prompt_tokens"] - 64
