// When to ask for a suggestion although nothing was typed. Pure: no `vscode` import.
//
// VS Code asks inline completion providers only after an edit (microsoft/vscode#150684): a
// cursor put on an empty line of a body by a click, a jump or the arrow keys got no suggestion
// until the first key, while the Neovim plugin asks there (InsertEnter, CursorMovedI). The
// extension asks VS Code for one (`editor.action.inlineSuggest.trigger`) when the cursor comes
// to rest on a blank line without an edit; nowhere else, so that reading code costs nothing.

/** How long the cursor must rest on the line: moving through lines sends nothing. */
export const REST_MS = 250;
/** A cursor move this soon after an edit of its document is the edit's own (typing, Enter). */
export const EDIT_MS = 100;

/** What the decision reads of the editor when the cursor moved. */
export interface CursorMove {
  /**
   * deepseekFim.enabled, the document's language not in deepseekFim.disabledLanguages, and
   * editor.inlineSuggest.enabled. Asked last, only for a move the rest allows: every key
   * moves the cursor, and reading the configuration at each would be wasted.
   */
  enabled: () => boolean;
  /** One cursor and no selected text. */
  singleCursor: boolean;
  /** The text of the cursor's line. */
  lineText: string;
  /** Milliseconds since the document was last edited (Infinity if never). */
  sinceEditMs: number;
}

/** Whether a cursor move may ask for a suggestion once it has rested `REST_MS`. */
export function asksAtRest(move: CursorMove): boolean {
  return move.singleCursor && move.lineText.trim() === '' && move.sinceEditMs >= EDIT_MS && move.enabled();
}
