"""Unit: which prompt beginnings DeepSeek may still be caching (sources/warmth.py)."""

from deepseek_fim.sources.warmth import CACHE_BUILD_S, FORGET_S, CacheWarmth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_beginning_is_being_cached_for_a_while_after_its_first_request() -> None:
    clock = Clock()
    warmth = CacheWarmth(clock)
    assert not warmth.building("head")  # never sent: the next request is its first
    warmth.sent(["head", "context"])
    clock.now += CACHE_BUILD_S / 2
    assert warmth.building("head") and warmth.building("context")
    warmth.sent(["context"])  # sent again meanwhile: still counted from the first request
    clock.now += CACHE_BUILD_S / 2 + 0.01
    assert not warmth.building("head") and not warmth.building("context")
    assert not warmth.building("other")


def test_a_beginning_unsent_for_an_hour_is_new_again() -> None:
    clock = Clock()
    warmth = CacheWarmth(clock)
    warmth.sent(["head"])
    clock.now += FORGET_S + 1
    assert not warmth.building("head")
    warmth.sent(["head"])
    assert warmth.building("head")
    clock.now += CACHE_BUILD_S + 0.01
    warmth.sent(["head"])  # in use: it stays cached
    clock.now += FORGET_S - 1
    assert not warmth.building("head")


def test_the_clock_keeps_a_bounded_number_of_beginnings() -> None:
    clock = Clock()
    warmth = CacheWarmth(clock)
    for index in range(2000):
        clock.now += 0.001
        warmth.sent([index])
    assert warmth.building(1999)
    assert not warmth.building(0)  # forgotten: counted as never sent
    assert len(warmth._sent) <= 512
