// Asks VS Code for an inline suggestion when the cursor rests on a blank line without an edit
// (see restTrigger.ts for why and when).
import * as vscode from 'vscode';
import { SECTION } from './protocol';
import { asksAtRest, REST_MS } from './restTrigger';

/**
 * Whether suggestions are wanted in this document at all: the extension on for its language
 * (else only other inline providers would be asked), and VS Code's inline suggestions on.
 */
function enabledFor(document: vscode.TextDocument): boolean {
  const config = vscode.workspace.getConfiguration(SECTION, document);
  const disabled = config.get<unknown>('disabledLanguages');
  const editor = vscode.workspace.getConfiguration('editor', document);
  return (
    config.get<unknown>('enabled') !== false &&
    !(Array.isArray(disabled) && disabled.includes(document.languageId)) &&
    editor.get<unknown>('inlineSuggest.enabled') !== false
  );
}

export class BlankLineTrigger implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When each open document was last edited (ms, Date.now()). */
  private readonly edited = new WeakMap<vscode.TextDocument, number>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0) {
          this.edited.set(event.document, Date.now());
          this.cancel();
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => this.moved(event)),
    ];
  }

  private moved(event: vscode.TextEditorSelectionChangeEvent): void {
    this.cancel();
    const editor = event.textEditor;
    const [selection] = event.selections;
    if (editor !== vscode.window.activeTextEditor || !selection) {
      return;
    }
    const position = selection.active;
    const move = {
      enabled: () => enabledFor(editor.document),
      singleCursor: event.selections.length === 1 && selection.isEmpty,
      lineText: editor.document.lineAt(position.line).text,
      sinceEditMs: Date.now() - (this.edited.get(editor.document) ?? -Infinity),
    };
    if (!asksAtRest(move)) {
      return;
    }
    const version = editor.document.version;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const still =
        vscode.window.activeTextEditor === editor &&
        editor.document.version === version &&
        editor.selections.length === 1 &&
        editor.selection.isEmpty &&
        editor.selection.active.isEqual(position);
      if (still) {
        void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      }
    }, REST_MS);
  }

  private cancel(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  dispose(): void {
    this.cancel();
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
  }
}
