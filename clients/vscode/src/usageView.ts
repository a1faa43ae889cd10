// The usage view: a webview with the ledger's per-day table and the session statistics.
import * as vscode from 'vscode';
import type { StatusPayload } from './protocol';
import { renderUsageHtml } from './usageReport';

export class UsageView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  show(status: StatusPayload): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'deepseekFim.usage',
        'DeepSeek FIM Usage',
        vscode.ViewColumn.Active,
        { enableScripts: false, retainContextWhenHidden: false },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    } else {
      this.panel.reveal();
    }
    this.panel.webview.html = renderUsageHtml(status, this.panel.webview.cspSource);
  }

  /** Refresh the open view (if any) with a newer payload. */
  update(status: StatusPayload): void {
    if (this.panel) {
      this.panel.webview.html = renderUsageHtml(status, this.panel.webview.cspSource);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
