"""Post-processing never fails on any text: property tests with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deepseek_fim.context import build_context
from deepseek_fim.postprocess import postprocess

# Code-like characters, so that brackets, quotes, indentation and fences meet often.
CODE = st.text(alphabet=st.sampled_from(list("ab x_=:;,.(){}[]'\"`#\t\n\r-→😀")), max_size=60)
LANGUAGES = st.sampled_from(
    [
        "python",
        "javascript",
        "lua",
        "go",
        "rust",
        "yaml",
        "markdown",
        "css",
        "kotlin",
        "csharp",
        "fsharp",
        "ruby",
        "julia",
        "vue",
    ]
)


@settings(max_examples=400, deadline=None)
@given(before=CODE, after=CODE, output=CODE, language=LANGUAGES)
def test_any_answer_gives_nothing_or_an_edit_that_fits_the_line(
    before: str, after: str, output: str, language: str
) -> None:
    document = (before + after).replace("\r", "")
    prefix = before.replace("\r", "")
    lines = document.split("\n")
    line = prefix.count("\n")
    col = len(prefix) - (prefix.rfind("\n") + 1)
    ctx = build_context(lines, line, col, path=f"f.{language}", language_id=language)
    result = postprocess(output, ctx)
    if result is None:
        return
    assert result.text.strip()
    assert "\r" not in result.text
    assert ctx.line_suffix.startswith(result.replace)
    assert "\n" not in result.replace
