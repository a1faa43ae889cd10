"""Settings: defaults, precedence, validation with one clear message, no key in messages."""

from datetime import date

from deepseek_fim.settings import DEFAULT_EXCLUDE, Settings, describe_problems, merge, resolve


def test_defaults_for_every_field():
    settings, problems = resolve(env={})
    assert problems == []
    assert settings.api_key is None
    assert settings.base_url == "https://api.deepseek.com"
    assert settings.model == "auto"
    assert settings.debounce_ms == 250
    assert (settings.prefix_tokens, settings.suffix_tokens) == (1500, 500)
    assert settings.exclude == DEFAULT_EXCLUDE
    assert settings.grant.tokens == 5_000_000 and settings.grant.days == 30


def test_precedence_env_then_init_options_then_workspace():
    env = {
        "DEEPSEEK_API_KEY": "sk-fake-env",
        "DEEPSEEK_BASE_URL": "http://127.0.0.1:1",
        "DEEPSEEK_FIM_DATA_DIR": "/tmp/x",
    }
    settings, _ = resolve(env=env)
    assert (settings.api_key, settings.base_url, settings.data_dir) == (
        "sk-fake-env",
        "http://127.0.0.1:1",
        "/tmp/x",
    )
    settings, _ = resolve({"apiKey": "sk-fake-init", "debounceMs": 0}, None, env)
    assert settings.api_key == "sk-fake-init" and settings.debounce_ms == 0
    settings, _ = resolve(
        {"debounceMs": 0}, {"deepseekFim": {"debounceMs": 100, "model": "deepseek-flash"}}, env
    )
    assert settings.debounce_ms == 100 and settings.model == "deepseek-flash"
    assert settings.api_key == "sk-fake-env"


def test_invalid_values_keep_defaults_and_are_reported_once():
    settings, problems = merge(
        Settings(),
        {"debounceMs": -5, "temperature": "hot", "exclude": "x", "grant": {"startDate": "soon"}},
    )
    assert settings.debounce_ms == 250 and settings.temperature == 0.0
    assert settings.exclude == DEFAULT_EXCLUDE and settings.grant.start_date is None
    assert len(problems) == 4
    message = describe_problems(problems)
    assert "debounceMs" in message and "grant.startDate" in message


def test_grant_settings_parse():
    settings, problems = merge(
        Settings(), {"grant": {"tokens": 1000, "days": 7, "startDate": "2026-11-01"}}
    )
    assert problems == []
    assert settings.grant.tokens == 1000
    assert settings.grant.start_date == date(2026, 11, 1)


def test_a_bad_key_value_is_never_echoed():
    _, problems = merge(Settings(), {"apiKey": 12345678})
    assert problems and "12345678" not in describe_problems(problems)


def test_repr_hides_the_key():
    assert "sk-fake-secret" not in repr(Settings(api_key="sk-fake-secret"))


def test_unknown_keys_and_non_objects_are_harmless():
    settings, problems = merge(Settings(), {"somethingElse": 1})
    assert settings == Settings() and problems == []
    _, problems = merge(Settings(), ["not", "an", "object"])
    assert problems
