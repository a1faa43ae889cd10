"""reuse.py: anchors, the recent answers and the requests in flight."""

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepseek_fim.reuse import (
    TYPED_LINES,
    Anchor,
    Answer,
    AnswerCache,
    PendingFetch,
    PendingFetches,
    whole_lines,
)

LINES = ["import os", "", "def add(a, b):", "    ret", "", "print(add(1, 2))"]


def _answer(lines, line, col, text, completion_id="id1"):
    return Answer(Anchor.at(lines, line, col, after_lines=5), text, "", completion_id)


def test_typed_since_is_what_was_typed_at_the_cursor():
    blank = [*LINES[:3], "    ", *LINES[4:]]
    anchor = Anchor.at(blank, 3, 4, after_lines=5)
    assert anchor.typed_since(blank, 3, 4) == ""
    assert anchor.typed_since(LINES, 3, 7) == "ret"
    assert anchor.typed_since(LINES, 3, 4) is None  # "ret" after the cursor: not typed


def test_a_different_text_after_the_cursor_is_no_match():
    anchor = Anchor.at(LINES, 3, 7, after_lines=5)
    changed_below = [*LINES[:5], "print(add(2, 2))"]
    assert anchor.typed_since(changed_below, 3, 7) is None
    suffix_on_line = [*LINES[:3], "    ret)", *LINES[4:]]
    assert anchor.typed_since(suffix_on_line, 3, 7) is None
    longer = [*LINES, "x = 1"]  # the anchor saw the end of the document
    assert anchor.typed_since(longer, 3, 7) is None


def test_deleting_before_the_anchor_is_no_match():
    anchor = Anchor.at(LINES, 3, 7, after_lines=5)
    backspaced = [*LINES[:3], "    re", *LINES[4:]]
    assert anchor.typed_since(backspaced, 3, 6) is None
    edited_above = ["import sys", *LINES[1:]]
    assert anchor.typed_since(edited_above, 3, 7) is None


def test_lines_past_the_suffix_window_do_not_matter():
    anchor = Anchor.at(LINES, 3, 7, after_lines=1)
    assert anchor.typed_since([*LINES[:5], "print(2)"], 3, 7) == ""


def test_typed_since_follows_enter_into_an_answer_on_the_next_line():
    lines = ["def f():", "", "print(1)"]
    anchor = Anchor.at(lines, 0, 8, after_lines=2)
    entered = ["def f():", "    re", "", "print(1)"]
    assert anchor.typed_since(entered, 1, 4) is None  # "re" after the cursor: not typed
    assert anchor.typed_since(entered, 1, 6) == "\n    re"
    assert anchor.typed_on_line(entered) == "\n    re"
    two = ["def f():", "    x = 1", "    ", "", "print(1)"]
    assert anchor.typed_since(two, 2, 4) == "\n    x = 1\n    "
    # The cursor moved down a line without typing: the text after it is not the anchor's.
    assert anchor.typed_since(lines, 1, 0) is None
    # A line break typed and an edit above the anchor: no match.
    assert anchor.typed_since(["# x", "def f():", "    ", "", "print(1)"], 2, 4) is None


def test_typed_since_stops_after_a_bounded_number_of_lines():
    lines = ["x = [", "]"]
    anchor = Anchor.at(lines, 0, 5, after_lines=1)
    near = ["x = [", *(["1,"] * TYPED_LINES), "]"]
    assert anchor.typed_since(near, TYPED_LINES, 2) == "\n" + "\n".join(["1,"] * TYPED_LINES)
    far = ["x = [", *(["1,"] * (TYPED_LINES + 1)), "]"]
    assert anchor.typed_since(far, TYPED_LINES + 1, 2) is None
    assert anchor.typed_on_line(far) is None


def test_typed_on_line_finds_the_cursor_before_the_suffix():
    lines = ["x = f(", "y"]
    anchor = Anchor.at(["x = f()", "y"], 0, 6, after_lines=1)
    assert anchor.typed_on_line(["x = f(ab)", "y"]) == "ab"
    assert anchor.typed_on_line(lines) is None  # the closer was deleted


def test_answer_rest_after_typed_characters():
    answer = _answer(LINES, 3, 7, "urn a + b")
    assert answer.rest_after("") == "urn a + b"
    assert answer.rest_after("ur") == "n a + b"
    assert answer.rest_after("x") is None
    assert answer.rest_after("urn a + b") is None  # typed it all: nothing left


TYPED = ["import os", "", "def add(a, b):", "    return ", "", "print(add(1, 2))"]


def test_typing_into_an_answer_gets_its_rest():
    cache = AnswerCache()
    cache.remember("doc", _answer(TYPED, 3, 11, "a + b", "7"))
    typed_a = [*TYPED[:3], "    return a", *TYPED[4:]]
    answer, rest = cache.lookup("doc", typed_a, 3, 12)
    assert (rest, answer.completion_id, answer.replace) == (" + b", "7", "")
    typed_plus = [*TYPED[:3], "    return a +", *TYPED[4:]]
    assert cache.lookup("doc", typed_plus, 3, 14)[1] == " b"


def test_typing_into_an_answer_keeps_the_closers_it_replaces():
    cache = AnswerCache()
    lines = ["console.log()"]
    cache.remember("doc", Answer(Anchor.at(lines, 0, 12, after_lines=0), "a, b);", ")", "9"))
    answer, rest = cache.lookup("doc", ["console.log(a)"], 0, 13)
    assert (rest, answer.completion_id, answer.replace) == (", b);", "9", ")")


@pytest.mark.parametrize(
    ("lines", "line", "col"),
    [
        ([*TYPED[:4], "a", TYPED[5]], 4, 1),  # another line
        ([*TYPED[:3], "    return x", *TYPED[4:]], 3, 12),  # typed something else
        ([*TYPED[:3], "    return a)", *TYPED[4:]], 3, 12),  # the text after the cursor changed
        ([*TYPED[:3], "    return a", *TYPED[4:], "x = 1"], 3, 12),  # a line added below
        ([*TYPED[:3], "    return a + b", *TYPED[4:]], 3, 16),  # typed it all
    ],
)
def test_typing_into_an_answer_misses(lines, line, col):
    cache = AnswerCache()
    cache.remember("doc", _answer(TYPED, 3, 11, "a + b", "7"))
    assert cache.lookup("doc", lines, line, col) is None
    # Nothing typed yet: the whole answer (a return to the place).
    assert cache.lookup("doc", TYPED, 3, 11)[1] == "a + b"


def test_cache_answers_backspace_and_retype():
    cache = AnswerCache()
    cache.remember("doc", _answer(LINES, 3, 7, "urn a + b"))
    typed_x = [*LINES[:3], "    retx", *LINES[4:]]
    assert cache.lookup("doc", typed_x, 3, 8) is None
    answer, rest = cache.lookup("doc", LINES, 3, 7)
    assert (rest, answer.completion_id) == ("urn a + b", "id1")
    assert cache.lookup("other", LINES, 3, 7) is None
    assert cache.hits == 1


def test_cache_look_without_use_counts_nothing():
    cache = AnswerCache()
    cache.remember("doc", _answer(LINES, 3, 7, "urn a + b"))
    assert cache.lookup("doc", LINES, 3, 7, use=False) is not None
    assert cache.hits == 0


# A `next` answer at the end of "    x = 1": one line shown, two more written by the model.
BODY = ["def f():", "    x = 1", "", "print(f())"]
SHOWN = "\n    y = 2"
WRITTEN = SHOWN + "\n    z = 3\n    return x + y + z"


def _took_shown(enter: bool) -> tuple[list[str], int, int]:
    """The document once the shown line is in (accepted or typed), and Enter maybe pressed."""
    lines = [BODY[0], BODY[1], "    y = 2", *BODY[2:]]
    if enter:
        lines.insert(3, "    ")
        return lines, 3, 4
    return lines, 2, 9


def _next_answer() -> Answer:
    anchor = Anchor.at(BODY, 1, 9, after_lines=2)
    return Answer(anchor, SHOWN, "", "run", model_text=WRITTEN)


@pytest.mark.parametrize("enter", [False, True])
def test_the_run_on_answers_once_the_shown_text_is_taken(enter):
    cache = AnswerCache()
    cache.remember("doc", _next_answer())
    lines, line, col = _took_shown(enter)
    answer, rest = cache.continuation("doc", lines, line, col)
    expected = "z = 3\n    return x + y + z" if enter else "\n    z = 3\n    return x + y + z"
    assert (answer.completion_id, rest) == ("run", expected)


def test_no_run_on_before_the_shown_text_is_all_taken():
    cache = AnswerCache()
    cache.remember("doc", _next_answer())
    half = [BODY[0], BODY[1], "    y =", *BODY[2:]]
    assert cache.continuation("doc", half, 2, 7) is None
    assert cache.continuation("doc", BODY, 1, 9) is None


@pytest.mark.parametrize(
    ("line_text", "col"),
    [("    y = 3", 9), ("    y = 2  # two", 16), ("    y = 2 ", 10)],
)
def test_no_run_on_after_other_text(line_text, col):
    cache = AnswerCache()
    cache.remember("doc", _next_answer())
    lines = [BODY[0], BODY[1], line_text, *BODY[2:]]
    assert cache.continuation("doc", lines, 2, col) is None


def test_no_run_on_past_the_end_of_what_the_model_wrote():
    cache = AnswerCache()
    cache.remember("doc", _next_answer())
    lines = [BODY[0], BODY[1], "    y = 2", "    z = 3", "    return x + y + z", *BODY[2:]]
    assert cache.continuation("doc", lines, 4, 24) is None


def test_an_answer_without_run_on_has_no_continuation():
    cache = AnswerCache()
    cache.remember("doc", Answer(Anchor.at(BODY, 1, 9, after_lines=2), SHOWN, "", "one"))
    lines, line, col = _took_shown(False)
    assert cache.continuation("doc", lines, line, col) is None


@pytest.mark.parametrize(
    ("text", "cut", "expected"),
    [
        ("a\r\nb", False, "a\nb"),
        ("\n    y = 2\n    z = ", True, "\n    y = 2"),
        ("x = 1", True, ""),
        ("x = 1", False, "x = 1"),
    ],
)
def test_whole_lines_drops_a_line_cut_by_max_tokens(text, cut, expected):
    assert whole_lines(text, cut=cut) == expected


def test_cache_is_bounded_least_recent_first():
    cache = AnswerCache(per_document=2, documents=2)
    for n in range(3):
        lines = [f"x{n} = "]
        cache.remember("doc", _answer(lines, 0, len(lines[0]), "1", f"id{n}"))
    assert len(cache) == 2
    assert cache.lookup("doc", ["x0 = "], 0, 5) is None
    assert cache.lookup("doc", ["x2 = "], 0, 5) is not None
    cache.remember("b", _answer(["b"], 0, 1, "1"))
    cache.remember("c", _answer(["c"], 0, 1, "1"))
    assert cache.lookup("doc", ["x2 = "], 0, 5) is None  # the least recent document went
    cache.forget("c")
    assert len(cache) == 1


@given(
    before=st.text(alphabet="ab(\n", max_size=12),
    after=st.text(alphabet="ab)\n", max_size=12),
    other_after=st.text(alphabet="ab)\n", max_size=12),
)
def test_never_an_answer_for_a_different_suffix(before, after, other_after):
    def lines_of(text):
        return text.split("\n")

    cursor_lines = lines_of(before)
    line, col = len(cursor_lines) - 1, len(cursor_lines[-1])
    cache = AnswerCache()
    first = lines_of(before + after)
    cache.remember("doc", _answer(first, line, col, "zz"))
    second = lines_of(before + other_after)
    found = cache.lookup("doc", second, line, col)
    if found is not None:
        # Within the window the anchor saw (here: everything), the suffix is the same.
        assert second[line][col:] == first[line][col:]
        assert second[line + 1 :] == first[line + 1 :]


async def test_a_waiter_gets_the_answer_and_leaves_it_running_when_cancelled():
    fetches = PendingFetches()
    release = asyncio.Event()
    answer = _answer(LINES, 3, 7, "urn a + b")

    async def fetch(_pending: PendingFetch):
        await release.wait()
        return answer

    pending = fetches.start("doc", answer.anchor, fetch)
    waiter = asyncio.ensure_future(fetches.wait(pending, None))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    assert not pending.task.done()  # in its grace period: a newer request may take it over
    found = fetches.find("doc", [*LINES[:3], "    retu", *LINES[4:]], 3, 8)
    assert found is not None and found[1] == "u"
    second = asyncio.ensure_future(fetches.wait(pending, None))
    await asyncio.sleep(0.3)  # past the grace period: kept, since someone waits again
    release.set()
    assert await second is answer
    assert fetches.inflight == 0


async def test_an_orphaned_request_is_cancelled_after_its_grace():
    fetches = PendingFetches()
    anchor = Anchor.at(LINES, 3, 7, after_lines=5)

    async def fetch(_pending: PendingFetch):
        await asyncio.sleep(10)

    pending = fetches.start("doc", anchor, fetch)
    waiter = asyncio.ensure_future(fetches.wait(pending, None))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0.3)
    assert pending.task.cancelled()


async def test_a_slow_request_is_cancelled_after_the_wait_bound():
    fetches = PendingFetches()
    anchor = Anchor.at(LINES, 3, 7, after_lines=5)

    async def fetch(_pending: PendingFetch):
        await asyncio.sleep(10)

    pending = fetches.start("doc", anchor, fetch)
    assert await fetches.wait(pending, 0.05) is None
    await asyncio.sleep(0)
    assert pending.task.cancelled()


async def test_a_change_that_leaves_the_anchor_cancels_the_request():
    fetches = PendingFetches()
    anchor = Anchor.at(LINES, 3, 7, after_lines=5)

    async def fetch(_pending: PendingFetch):
        await asyncio.sleep(10)

    pending = fetches.start("doc", anchor, fetch)
    typed_on = [*LINES[:3], "    retur", *LINES[4:]]
    assert not fetches.document_changed("doc", typed_on)
    backspaced = [*LINES[:3], "    re", *LINES[4:]]
    assert fetches.document_changed("doc", backspaced)
    await asyncio.sleep(0)
    assert pending.task.cancelled()


async def test_a_new_request_replaces_the_one_in_flight():
    fetches = PendingFetches()
    anchor = Anchor.at(LINES, 3, 7, after_lines=5)

    async def fetch(_pending: PendingFetch):
        await asyncio.sleep(10)

    first = fetches.start("doc", anchor, fetch)
    second = fetches.start("doc", anchor, fetch)
    await asyncio.sleep(0)
    assert first.task.cancelled() and fetches.get("doc") is second
    fetches.cancel_all()
    await asyncio.sleep(0)
    assert second.task.cancelled() and fetches.get("doc") is None


def _end_of(text: str) -> tuple[int, int]:
    """The (line, column) of the end of `text`."""
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


@given(
    before=st.text(alphabet="ab(\n", max_size=12),
    after=st.text(alphabet="ab)\n", max_size=12),
    now=st.text(alphabet="ab()\n", max_size=30),
    cursor=st.integers(min_value=0, max_value=30),
)
def test_what_was_typed_is_exactly_what_the_document_gained_at_the_anchor(
    before, after, now, cursor
):
    """Whatever the document and cursor now, a typed text means: anchored text + typed here."""
    anchor = Anchor.at((before + after).split("\n"), *_end_of(before), 99)
    cursor = min(cursor, len(now))
    typed = anchor.typed_since(now.split("\n"), *_end_of(now[:cursor]))
    if typed is not None:
        assert now == before + typed + after
        assert now[:cursor] == before + typed


@given(
    before=st.text(alphabet="ab(\n", max_size=12),
    inserted=st.text(alphabet="ab \n", max_size=12),
    after=st.text(alphabet="ab)\n", max_size=12),
)
def test_text_typed_at_the_anchor_is_found(before, inserted, after):
    anchor = Anchor.at((before + after).split("\n"), *_end_of(before), 99)
    now = before + inserted + after
    typed = anchor.typed_since(now.split("\n"), *_end_of(before + inserted))
    if inserted.count("\n") <= TYPED_LINES:
        assert typed == inserted
    else:
        assert typed is None


_code_line = st.text(alphabet="abcxyz =+()1:", min_size=1, max_size=12).filter(str.strip)


@given(
    model_lines=st.lists(_code_line, min_size=2, max_size=6),
    shown_lines=st.integers(min_value=1, max_value=5),
    typed_extra=st.integers(min_value=0, max_value=40),
    typo=st.booleans(),
)
def test_a_continuation_is_always_the_rest_of_what_the_model_wrote(
    model_lines, shown_lines, typed_extra, typo
):
    # At the end of "    x = 1" the model wrote lines starting on the next one; some were shown.
    # The user typed a prefix of the model's text (or that prefix with one character wrong):
    # the continuation is exactly the rest of the model's text, or nothing.
    model_text = "".join(f"\n    {line}" for line in model_lines)
    shown = "".join(f"\n    {line}" for line in model_lines[: min(shown_lines, len(model_lines))])
    cache = AnswerCache()
    cache.remember(
        "doc", Answer(Anchor.at(BODY, 1, 9, after_lines=2), shown, "", "p", model_text=model_text)
    )
    typed = model_text[: len(shown) + typed_extra]
    if typo and typed:
        typed = typed[:-1] + ("#" if typed[-1] != "#" else "!")
    lines = [*BODY[:1], *(BODY[1] + typed).split("\n"), *BODY[2:]]
    line = 1 + typed.count("\n")
    found = cache.continuation("doc", lines, line, len(lines[line]))
    if not typo and model_text[len(typed) :].strip():
        assert found is not None  # the shown text and more of the model's, exactly: continued
    if found is None:
        return
    answer, rest = found
    assert answer.completion_id == "p"
    assert typed + rest == model_text
    assert typed.startswith(shown)
