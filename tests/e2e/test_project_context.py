"""End to end: definitions from the project's other files reach the prompt's head.

The server runs as a subprocess against the loopback fake; what it sent is read back from the
fake's request log. Opening a file is enough to lend its outline; an excluded file never does;
an edit reaches the next prompt; a closed buffer leaves it; imported files that are not open
are read from disk inside the workspace, with the same exclusions.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from deepseek_fim.testing.lsp_session import Session

APP = "file:///work/project/app.py"
UTIL = "file:///work/project/util.py"
VAULT = "file:///work/project/secret_vault.py"
APP_TEXT = "from .util import parse_config\nfrom .secret_vault import unlock\n\n\ndef main():\n    "
UTIL_TEXT = (
    "import os\n\n\ndef parse_config(path: str, *, strict: bool = False) -> dict:\n"
    "    return {}\n\n\nclass Loader:\n    def load(self, name):\n        return name\n"
)
VAULT_TEXT = "def unlock(passphrase: str) -> bytes:\n    return b'hunter2'\n"


def context_head(prompt: str) -> str:
    return prompt.split("# Path: ")[0]


async def test_an_imported_buffer_lends_its_outline_from_did_open_alone(session, fake):
    session.open(UTIL, UTIL_TEXT)
    session.open(VAULT, VAULT_TEXT)
    session.open(APP, APP_TEXT)
    await session.inline(APP)
    head = context_head(fake.fim_requests()[-1]["body"]["prompt"])
    assert "# Definitions in util.py:" in head
    assert "# def parse_config(path: str, *, strict: bool = False) -> dict:" in head
    # The body is never sent, and the excluded file (*secret*) lends nothing.
    assert "return {}" not in head
    assert "unlock" not in head and "secret_vault" not in head and "hunter2" not in head
    status = await session.status()
    assert [f["path"] for f in status["context"]["files"]] == ["/work/project/util.py"]
    assert 0 < status["context"]["tokens"] < 800
    # The tooltip (VS Code's status item, Neovim's :DeepSeekFim status) says it too.
    assert "Context of the last prompt: util.py " in status["tooltip"]
    # And the usage views (VS Code's panel, Neovim's :DeepSeekFim usage) show it as a row.
    [row] = [text for label, text in status["summary"] if label == "Context (last prompt)"]
    assert row.startswith("util.py ")


async def test_a_changed_definition_reaches_the_next_prompt_and_a_closed_buffer_leaves(
    session, fake
):
    session.open(UTIL, UTIL_TEXT)
    session.open(APP, APP_TEXT)
    await session.inline(APP)
    # Rename the function's parameter in util.py (an edit in another buffer).
    session.insert(UTIL, types.Position(3, 21), "_or_url")
    session.type_text(APP, "x")
    await session.inline(APP)
    head = context_head(fake.fim_requests()[-1]["body"]["prompt"])
    assert "# def parse_config(path_or_url: str, *, strict: bool = False) -> dict:" in head
    session.close(UTIL)
    session.type_text(APP, "y")
    await session.inline(APP)
    head = context_head(fake.fim_requests()[-1]["body"]["prompt"])
    assert "parse_config" not in head
    status = await session.status()
    assert status["context"]["files"] == []


async def test_the_context_setting_limits_or_turns_it_off(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": 0, "contextTokens": 0})
    try:
        session.open(UTIL, UTIL_TEXT)
        session.open(APP, APP_TEXT)
        await session.inline(APP)
    finally:
        await session.stop()
    assert fake.fim_requests()[-1]["body"]["prompt"].startswith("# Path: app.py\n")


async def test_unopened_imports_are_read_from_disk_inside_the_workspace(server_env, fake, tmp_path):
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "geometry.py").write_text(
        "def area(width: float, height: float) -> float:\n    return width * height\n"
    )
    (project / "pkg" / "credentials.py").write_text("def api_token() -> str:\n    return 'x'\n")
    outside = tmp_path / "outside.py"
    outside.write_text("def far_away() -> None:\n    pass\n")
    app = project / "pkg" / "app.py"
    text = (
        "from .geometry import area\nfrom .credentials import api_token\n"
        "from ... import outside\n\n\ndef main():\n    "
    )
    app.write_text(text)
    session = await Session.start(server_env, {"debounceMs": 0}, root_uri=project.as_uri())
    try:
        session.open(app.as_uri(), text)
        heads = []
        for typed in ("a", "b", "c"):  # the read runs in a thread; the next prompts have it
            session.type_text(app.as_uri(), typed)
            await session.inline(app.as_uri())
            heads.append(context_head(fake.fim_requests()[-1]["body"]["prompt"]))
    finally:
        await session.stop()
    # A later prompt has it (the next one, within seconds of it, is lean: sources/warmth.py).
    assert any("# def area(width: float, height: float) -> float:" in head for head in heads)
    assert any("# Definitions in pkg/geometry.py:" in head for head in heads)
    assert not any("width * height" in head for head in heads)  # signatures, never bodies
    assert not any("api_token" in head or "far_away" in head for head in heads)


async def test_disk_reading_can_be_turned_off(server_env, fake, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "geometry.py").write_text("def area(width: float) -> float:\n    pass\n")
    app = project / "app.py"
    text = "from .geometry import area\n\n\ndef main():\n    "
    session = await Session.start(
        server_env, {"debounceMs": 0, "contextFromDisk": False}, root_uri=project.as_uri()
    )
    try:
        session.open(app.as_uri(), text)
        for typed in ("a", "b"):
            session.type_text(app.as_uri(), typed)
            await session.inline(app.as_uri())
    finally:
        await session.stop()
    assert not any("def area" in r["body"]["prompt"] for r in fake.fim_requests())


def test_fixture_paths_are_what_the_tests_say(tmp_path: Path) -> None:
    # The disk test's relative import `from ... import outside` climbs above the workspace.
    assert (tmp_path / "project" / "pkg" / "app.py").parent.parent.parent == tmp_path
