// The payloads of the server's custom messages (docs/architecture.md, "LSP surface").

export const BUDGET_NOTIFICATION = 'deepseekFim/budget';
export const STATUS_REQUEST = 'deepseekFim/status';
export const ACCEPT_COMMAND = 'deepseekFim.accept';
export const SECTION = 'deepseekFim';

export type BudgetState =
  | 'ok'
  | 'low'
  | 'exhausted'
  | 'expired'
  | 'noKey'
  | 'authFailed'
  | 'throttled'
  | 'offline'
  | 'disabled'
  | 'excluded';

export type BudgetKind = 'Normal' | 'Warning' | 'Error' | 'Inactive';

export interface Balance {
  isAvailable: boolean;
  total: string;
  granted: string;
  toppedUp: string;
  currency: string;
  checkedAt: string;
}

export interface LastCompletion {
  hit: number;
  miss: number;
  output: number;
  cost: string;
  latencyMs: number;
}

export interface PriceCheck {
  from: string;
  to: string;
  currency: string;
  measured: string;
  ledger: string;
  ratio: number | null;
  disagrees: boolean;
  tokens: Record<string, number>;
  effectivePerMillion: Record<string, string> | null;
  text: string | null;
}

/** [label, text]: a line of the grant, written by the server (shown as is). */
export type SummaryRow = [string, string];

export interface BudgetPayload {
  state: BudgetState;
  kind: BudgetKind;
  text: string;
  tooltip: string;
  message?: string | null;
  /** Money: decimal strings in `currency`. */
  currency?: string;
  grantAmount?: string;
  amountSource?: 'default' | 'setting' | 'tokens' | 'balance';
  usedAmount?: string;
  remainingAmount?: string;
  remainingRatio?: number;
  remainingFrom?: 'balance' | 'ledger';
  reconciliation?: { checkedAt: string; granted: string; ledgerSince: string; unrecorded: string } | null;
  /** The ledger's own cost of the grant period. */
  cost?: string;
  /** Tokens: the advertised grant size, tokens recorded, and money left at the user's mix. */
  grantTokens?: number;
  usedTokens?: number;
  remainingTokens?: number;
  tokensBasis?: 'recent' | 'period' | 'advertised';
  pricePerMillion?: string | null;
  grantStart?: string;
  expiresOn?: string;
  daysLeft?: number;
  burnRatePerDay?: string | null;
  burnTokensPerDay?: number | null;
  forecast?: string;
  runOutOn?: string | null;
  paceText?: string;
  cacheHitRatio?: number | null;
  priceCheck?: PriceCheck | null;
  summary?: SummaryRow[];
  balance?: Balance | null;
  lastCompletion?: LastCompletion | null;
  retryAt?: string | null;
}

export interface SessionStats {
  requests: number;
  cancelled: number;
  errors: number;
  shown: number;
  accepted: number;
  acceptanceRate: number | null;
  cacheHitRatio: number | null;
  /** This session's prompt tokens that hit / missed DeepSeek's cache (absent from older servers). */
  promptHitTokens?: number;
  promptMissTokens?: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface DayUsage {
  date: string;
  requests: number;
  hit: number;
  miss: number;
  output: number;
  cost: string;
}

/** One day of the grant period so far (the `daily` series, server/deepseek_fim/budget/daily.py). */
export interface DailyPoint {
  date: string;
  hit: number;
  miss: number;
  output: number;
  total: number;
  cumulative: number;
}

export interface ForecastPoint {
  date: string;
  cumulative: number;
}

/** The grant day by day, for the usage chart: the same data the CLI and Neovim draw. */
export interface DailySeries {
  start: string;
  /** The grant's last valid day. */
  end: string;
  today: string;
  grantTokens: number;
  allowancePerDay: number;
  days: DailyPoint[];
  /** From today to the run-out date or the last day; null without a forecast. */
  forecast: ForecastPoint[] | null;
}

export interface StatusPayload extends BudgetPayload {
  session?: SessionStats;
  days?: DayUsage[];
  daily?: DailySeries;
}
