"""Context sources: what the prompt carries besides the cursor's own windows.

- `outline`: a document's definitions (signature lines), pure Python, per language;
- `imports`: the modules a document imports and where they may live;
- `index`: the outline of every open buffer (and of imported files read from disk), kept per
  document and recomputed only when that document changed;
- `ranking`: the definitions a cursor most likely needs, packed under a token budget;
- `prompt_builder`: the prompt for a cursor (context block, header, windows), asked for by the
  completion service.
"""
