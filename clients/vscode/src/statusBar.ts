// The status bar item: shows what status.ts computes from the server's budget payload.
import * as vscode from 'vscode';
import type { BudgetPayload } from './protocol';
import { presentBudget, presentClientState, type ClientState, type StatusView } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: BudgetPayload | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('deepseekFim.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'DeepSeek FIM';
    this.showClientState('starting');
    this.item.show();
  }

  /** The last budget payload received from the server, if any. */
  get budget(): BudgetPayload | undefined {
    return this.last;
  }

  showBudget(payload: BudgetPayload): void {
    this.last = payload;
    this.render(presentBudget(payload));
  }

  showClientState(state: ClientState, detail?: string): void {
    this.last = undefined;
    this.render(presentClientState(state, detail));
  }

  private render(view: StatusView): void {
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = false;
    this.item.tooltip = tooltip;
    this.item.command = view.command;
    this.item.accessibilityInformation = { label: view.ariaLabel };
    this.item.backgroundColor =
      view.background === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.background === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
