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

export interface BudgetPayload {
  state: BudgetState;
  kind: BudgetKind;
  text: string;
  tooltip: string;
  message?: string | null;
  grantTokens?: number;
  usedTokens?: number;
  remainingTokens?: number;
  remainingRatio?: number;
  cost?: string;
  currency?: string;
  grantStart?: string;
  expiresOn?: string;
  daysLeft?: number;
  burnRatePerDay?: number;
  runOutOn?: string | null;
  cacheHitRatio?: number | null;
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

export interface StatusPayload extends BudgetPayload {
  session?: SessionStats;
  days?: DayUsage[];
}
