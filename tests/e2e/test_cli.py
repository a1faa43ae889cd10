"""The `deepseek-fim` command line, run as a subprocess against the fake DeepSeek API."""

import json
import subprocess
import sys

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek

CLI = [sys.executable, "-m", "deepseek_fim.cli"]


def run(args, env_extra, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEEPSEEK_FIM_DATA_DIR": str(tmp_path / "data"),
        **env_extra,
    }
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_complete_prints_the_completion_and_records_usage(fake: FakeDeepSeek, tmp_path):
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    \n\nprint(add(1, 2))\n", encoding="utf-8")
    env = {"DEEPSEEK_API_KEY": "sk-fake-cli", "DEEPSEEK_BASE_URL": fake.url}
    result = run(["complete", f"{source}:2:5"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "return a + b\n"
    [request] = fake.fim_requests()
    assert request["body"]["prompt"].endswith("def add(a, b):\n    ")
    assert request["body"]["suffix"].startswith("\n\nprint(add(1, 2))")
    usage = run(["usage", "--json"], {}, tmp_path)
    assert usage.returncode == 0, usage.stderr
    report = json.loads(usage.stdout)
    usage_sent = request["usage"]
    assert report["usedTokens"] == usage_sent["prompt_tokens"] + usage_sent["completion_tokens"]
    assert report["tokens"] == {
        "hit": usage_sent["prompt_cache_hit_tokens"],
        "miss": usage_sent["prompt_cache_miss_tokens"],
        "output": usage_sent["completion_tokens"],
    }
    assert report["requests"] == 1 and report["shown"] == 1


def test_complete_without_a_key_explains_and_sends_nothing(fake, tmp_path):
    source = tmp_path / "calc.py"
    source.write_text("x = ", encoding="utf-8")
    result = run(["complete", f"{source}:1:5"], {"DEEPSEEK_BASE_URL": fake.url}, tmp_path)
    assert result.returncode == 1
    assert "platform.deepseek.com" in result.stderr
    assert fake.requests == []


def test_doctor_all_good(fake, tmp_path):
    env = {"DEEPSEEK_API_KEY": "sk-fake-cli", "DEEPSEEK_BASE_URL": fake.url}
    result = run(["doctor"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok] model: auto -> deepseek-flash" in result.stdout
    assert "all good" in result.stdout
    assert "sk-fake-cli" not in result.stdout + result.stderr


def test_doctor_names_each_problem(fake, tmp_path):
    assert "not set" in run(["doctor"], {"DEEPSEEK_BASE_URL": fake.url}, tmp_path).stdout
    fake.configure(api_key="sk-fake-the-right-one")
    wrong = run(
        ["doctor"], {"DEEPSEEK_API_KEY": "sk-fake-wrong", "DEEPSEEK_BASE_URL": fake.url}, tmp_path
    )
    assert wrong.returncode == 1 and "refused the key" in wrong.stdout
    assert "sk-fake-wrong" not in wrong.stdout + wrong.stderr
    remote_http = run(
        ["doctor"],
        {"DEEPSEEK_API_KEY": "sk-fake-x", "DEEPSEEK_BASE_URL": "http://api.example.com"},
        tmp_path,
    )
    assert remote_http.returncode == 1 and "[FAIL] base URL" in remote_http.stdout
    fake.configure(api_key=None, balance="0")
    broke = run(
        ["doctor"], {"DEEPSEEK_API_KEY": "sk-fake-x", "DEEPSEEK_BASE_URL": fake.url}, tmp_path
    )
    assert "[FAIL] FIM: 402" in broke.stdout


def test_doctor_unreachable_api(tmp_path):
    result = run(
        ["doctor"],
        {"DEEPSEEK_API_KEY": "sk-fake-x", "DEEPSEEK_BASE_URL": "http://127.0.0.1:9"},
        tmp_path,
    )
    assert result.returncode == 1 and "[FAIL] connectivity" in result.stdout
