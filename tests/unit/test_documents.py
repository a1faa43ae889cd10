"""The document store: incremental edits, UTF-16 positions, CRLF, clamping."""

import pytest

from deepseek_fim.documents import Document, DocumentStore, col_to_utf16, split_lines, utf16_to_col


def test_split_lines_handles_every_line_ending():
    assert split_lines("a\r\nb\nc\rd") == ["a", "b", "c", "d"]
    assert split_lines("a\n") == ["a", ""]
    assert split_lines("") == [""]


@pytest.mark.parametrize(
    ("line", "utf16", "col"),
    [
        ("abc", 2, 2),
        ("abc", 99, 3),
        ("😀x", 2, 1),  # the emoji is two UTF-16 units
        ("😀x", 3, 2),
        ("😀x", 1, 0),  # inside the surrogate pair: stay before the character
        ("日本語", 2, 2),  # CJK is one unit per character
        ("", 5, 0),
    ],
)
def test_utf16_to_col(line, utf16, col):
    assert utf16_to_col(line, utf16) == col


def test_col_to_utf16_round_trips():
    line = "a😀b日c"
    for col in range(len(line) + 1):
        assert utf16_to_col(line, col_to_utf16(line, col)) == col


def test_incremental_edits_match_a_full_rewrite():
    doc = Document.from_text("file:///a.py", "python", 1, "def f():\n    pass\n")
    # Replace "pass" with "return 1" on line 1.
    doc.replace(doc.clamp(1, 4), doc.clamp(1, 8), "return 1")
    assert doc.text == "def f():\n    return 1\n"
    # Insert two lines after the first.
    doc.replace(doc.clamp(0, 8), doc.clamp(0, 8), "\n    x = 1\n    y = 2")
    assert doc.lines == ["def f():", "    x = 1", "    y = 2", "    return 1", ""]
    # Delete across lines.
    doc.replace(doc.clamp(1, 0), doc.clamp(3, 0), "")
    assert doc.text == "def f():\n    return 1\n"


def test_crlf_is_kept_and_positions_ignore_it():
    doc = Document.from_text("file:///w.txt", "plaintext", 1, "one\r\ntwo\r\n")
    assert doc.eol == "\r\n"
    doc.replace(doc.clamp(1, 3), doc.clamp(1, 3), "!")
    assert doc.text == "one\r\ntwo!\r\n"


def test_emoji_edit_uses_utf16_positions():
    doc = Document.from_text("file:///e.py", "python", 1, "s = '😀'\n")
    # Column 7 in UTF-16 is after the emoji (s, space, =, space, quote, 2 units).
    doc.replace(doc.clamp(0, 7), doc.clamp(0, 7), "!")
    assert doc.lines[0] == "s = '😀!'"


def test_positions_past_the_end_are_clamped():
    doc = Document.from_text("file:///c.py", "python", 1, "ab\ncd")
    assert doc.clamp(10, 0) == doc.clamp(1, 99)
    assert doc.clamp(1, 99).col == 2
    assert doc.clamp(-1, 5).line == 0
    doc.replace(doc.clamp(50, 50), doc.clamp(60, 0), "!")
    assert doc.text == "ab\ncd!"


def test_reversed_range_is_normalised():
    doc = Document.from_text("file:///r.py", "python", 1, "hello world")
    doc.replace(doc.clamp(0, 11), doc.clamp(0, 5), "")
    assert doc.text == "hello"


def test_store_never_invents_documents():
    store = DocumentStore()
    assert store.get("file:///not/open.py") is None
    store.open("file:///x.py", "python", 3, "x")
    assert store.get("file:///x.py").version == 3
    assert len(store) == 1
    store.close("file:///x.py")
    assert store.get("file:///x.py") is None


def test_cr_and_lf_joined_by_an_edit_are_one_line_break():
    doc = Document.from_text("file:///a.py", "python", 1, "a\rb")
    doc.replace(doc.clamp(1, 0), doc.clamp(1, 0), "\n")
    assert doc.lines == ["a", "b"] and doc.text == "a\r\nb"
    doc = Document.from_text("file:///a.py", "python", 1, "a\rX\nb")
    doc.replace(doc.clamp(1, 0), doc.clamp(1, 1), "")
    assert doc.lines == ["a", "b"] and doc.text == "a\r\nb"
    doc = Document.from_text("file:///a.py", "python", 1, "a\nb")
    doc.replace(doc.clamp(0, 1), doc.clamp(0, 1), "\r")
    assert doc.lines == ["a", "b"] and doc.text == "a\r\nb"
