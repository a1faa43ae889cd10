"""Print `completion_mode` for cursor places read from stdin, with whichever code is importable.

bench_mode_tokens.py runs this with PYTHONPATH pointing at another revision's `server/` (the
code before a change). Input: one JSON ``[line_prefix, line_suffix, language_id]`` per line;
output: one mode per line.
"""

from __future__ import annotations

import json
import sys

from deepseek_fim.context import completion_mode

if __name__ == "__main__":
    for raw in sys.stdin:
        prefix, suffix, language = json.loads(raw)
        print(completion_mode(prefix, suffix, language))
