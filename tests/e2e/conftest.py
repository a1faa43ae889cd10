"""Fixtures for end-to-end tests: the fake DeepSeek API and a real server subprocess."""

from collections.abc import AsyncIterator, Iterator

import pytest

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.lsp_session import Session

FAKE_KEY = "sk-fake-e2e-key"


@pytest.fixture
def fake() -> Iterator[FakeDeepSeek]:
    with FakeDeepSeek() as server:
        yield server


@pytest.fixture
def server_env(fake, tmp_path) -> dict[str, str]:
    return {
        "DEEPSEEK_API_KEY": FAKE_KEY,
        "DEEPSEEK_BASE_URL": fake.url,
        "DEEPSEEK_FIM_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
async def session(server_env) -> AsyncIterator[Session]:
    started = await Session.start(server_env, {"debounceMs": 0})
    yield started
    await started.stop()
