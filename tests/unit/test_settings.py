"""Settings: defaults, precedence, validation with one clear message, no key in messages."""

from datetime import date
from decimal import Decimal

from deepseek_fim.settings import DEFAULT_EXCLUDE, Settings, describe_problems, merge, resolve


def test_defaults_for_every_field():
    settings, problems = resolve(env={})
    assert problems == []
    assert settings.api_key is None
    assert settings.base_url == "https://api.deepseek.com"
    assert settings.model == "auto"
    assert settings.debounce_ms == 250
    assert (settings.prefix_tokens, settings.suffix_tokens) == (512, 256)
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


def test_grant_is_money_by_default():
    settings, _ = resolve(env={})
    assert settings.grant.amount is None and settings.grant.currency == "USD"
    assert settings.grant.money == Decimal("8.40")
    assert settings.grant.amount_source == "default"


def test_grant_amount_and_currency_parse():
    settings, problems = merge(Settings(), {"grant": {"amount": "12.5", "currency": "cny"}})
    assert problems == []
    assert (settings.grant.amount, settings.grant.currency) == (Decimal("12.5"), "CNY")
    assert settings.grant.money == Decimal("12.5") and settings.grant.amount_source == "setting"
    # a float is read through its text, not its binary expansion
    settings, _ = merge(Settings(), {"grant": {"amount": 8.4}})
    assert settings.grant.amount == Decimal("8.4")


def test_old_tokens_only_setting_maps_to_an_amount():
    # 10M tokens at the advertised USD 8.40 per 5M tokens = USD 16.80
    settings, problems = merge(Settings(), {"grant": {"tokens": 10_000_000}})
    assert problems == []
    assert settings.grant.money == Decimal("16.80") and settings.grant.amount_source == "tokens"
    # with an amount, tokens is only the advertised size
    settings, _ = merge(Settings(), {"grant": {"tokens": 10_000_000, "amount": "8.40"}})
    assert settings.grant.money == Decimal("8.40") and settings.grant.tokens == 10_000_000


def test_an_empty_amount_keeps_the_earlier_source():
    # VS Code sends "" for an unset amount: it must not undo initializationOptions.
    settings, problems = resolve(
        {"grant": {"amount": "20"}},
        {"deepseekFim": {"grant": {"amount": "", "tokens": 5000000}}},
        {},
    )
    assert problems == [] and settings.grant.money == Decimal("20")


def test_invalid_grant_money_is_reported():
    settings, problems = merge(Settings(), {"grant": {"amount": "lots", "currency": "dollars"}})
    assert settings.grant.amount is None and settings.grant.currency == "USD"
    assert [p.split(":")[0] for p in problems] == ["grant.amount", "grant.currency"]
    for bad in (0, -1, "1e12", True, "NaN"):
        _, problems = merge(Settings(), {"grant": {"amount": bad}})
        assert problems and problems[0].startswith("grant.amount"), bad
    # another currency needs its amount: the advertised rate is in USD
    settings, problems = merge(Settings(), {"grant": {"currency": "CNY"}})
    assert settings.grant.currency == "USD" and "required with grant.currency CNY" in problems[0]


def test_editor_delay_is_read_and_checked():
    settings, problems = merge(Settings(), {"editorDelayMs": 50})
    assert problems == [] and settings.editor_delay_ms == 50
    assert Settings().editor_delay_ms == 0  # Neovim's plugin asks at once
    settings, problems = merge(Settings(), {"editorDelayMs": 5000})
    assert settings.editor_delay_ms == 0 and len(problems) == 1


def test_the_window_and_pacing_defaults_are_the_settings_defaults():
    # Three modules name these budgets; the settings own them.
    from deepseek_fim.budget.pace import PaceBase
    from deepseek_fim.context import DEFAULT_PREFIX_TOKENS, DEFAULT_SUFFIX_TOKENS

    settings = Settings()
    window = (settings.prefix_tokens, settings.suffix_tokens)
    assert window == (DEFAULT_PREFIX_TOKENS, DEFAULT_SUFFIX_TOKENS)
    assert PaceBase() == PaceBase.from_settings(settings)
