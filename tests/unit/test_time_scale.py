"""TimeScale: the test-only speed-up of the budget clock."""

import time

from deepseek_fim.time_scale import ENV_VAR, TimeScale


def test_real_time_unless_asked() -> None:
    assert TimeScale.from_env({}).factor == 1.0
    for bad in ("fast", "0", "-3", "inf", "nan"):
        assert TimeScale.from_env({ENV_VAR: bad}).factor == 1.0


def test_a_scaled_clock_runs_faster_and_converts_waits_back() -> None:
    scale = TimeScale.from_env({ENV_VAR: "100"})
    assert scale.factor == 100.0
    assert scale.real_seconds(5.0) == 0.05
    before = scale.now()
    time.sleep(0.02)
    elapsed = (scale.now() - before).total_seconds()
    assert 2.0 <= elapsed < 20.0  # 0.02 s real, 100 times faster (generous for a busy host)
