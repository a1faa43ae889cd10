"""The incremental SSE line parser."""

import pytest

from deepseek_fim.deepseek import SseLineParser


def feed_all(chunks: list[bytes]) -> list[str]:
    parser = SseLineParser()
    out: list[str] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    out.extend(parser.finish())
    return out


def test_keep_alive_comments_and_empty_lines_are_skipped() -> None:
    stream = b': keep-alive\n\n: keep-alive\n\n\ndata: {"a": 1}\n\n: keep-alive\n\ndata: [DONE]\n\n'
    assert feed_all([stream]) == ['{"a": 1}', "[DONE]"]


def test_crlf_line_endings() -> None:
    stream = b': keep-alive\r\n\r\ndata: {"a": 1}\r\n\r\ndata: [DONE]\r\n\r\n'
    assert feed_all([stream]) == ['{"a": 1}', "[DONE]"]


def test_other_fields_are_ignored_and_data_without_space_is_kept() -> None:
    stream = b'event: message\nid: 7\nretry: 100\ndata:{"a":1}\ndata\n\n'
    assert feed_all([stream]) == ['{"a":1}', ""]


def test_events_without_blank_lines_between_them() -> None:
    assert feed_all([b"data: 1\ndata: 2\ndata: [DONE]\n"]) == ["1", "2", "[DONE]"]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_split_at_every_byte_boundary_including_inside_utf8(size: int) -> None:
    text = 'data: {"text": "héllo → 世界 🙂"}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n'
    raw = text.encode("utf-8")
    chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
    assert feed_all(chunks) == ['{"text": "héllo → 世界 🙂"}', "[DONE]"]


def test_split_exactly_inside_a_multibyte_character() -> None:
    raw = 'data: "🙂"\n'.encode()
    cut = raw.index("🙂".encode()) + 2
    parser = SseLineParser()
    assert parser.feed(raw[:cut]) == []
    assert parser.pending
    assert parser.feed(raw[cut:]) == ['"🙂"']
    assert not parser.pending


def test_crlf_split_between_cr_and_lf() -> None:
    parser = SseLineParser()
    assert parser.feed(b"data: x\r") == []
    assert parser.feed(b"\n") == ["x"]


def test_unterminated_last_line_is_returned_by_finish() -> None:
    parser = SseLineParser()
    assert parser.feed(b'data: {"a": 1}\n\ndata: {"b"') == ['{"a": 1}']
    assert parser.finish() == ['{"b"']
    assert parser.finish() == []


def test_leading_bom_is_dropped() -> None:
    assert feed_all(["\ufeffdata: 1\n".encode()]) == ["1"]
