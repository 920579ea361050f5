// One request, one deadline: the gateway gives each request a time budget, and every call
// it makes downstream carries what is left of it (minus the caller's own margin) in a
// header, as relative milliseconds: each host measures from when the request reached it,
// on its own monotonic clock, so clock skew between hosts does not matter. Each hop stops
// working before its budget ends, keeping a margin to answer, so a callee always gives
// up (and says so) before its caller stops listening. docs/deadlines.md has the numbers.

/** The request header carrying the remaining budget, in whole milliseconds. */
export const BUDGET_HEADER = 'x-request-budget-ms';
/** The budget of a request that arrives without the header (a direct call, a sweeper). */
export const DEFAULT_BUDGET_MS = 10_000;
/** The most a header can ask for; a larger value is read as this. */
export const MAX_BUDGET_MS = 300_000;
/** Below this a call to another service is not worth making. */
const MIN_CALL_BUDGET_MS = 10;

/**
 * What a hop keeps of its budget to answer: a tenth, between 20 ms and 1 s. Budgets shrink
 * from hop to hop, and so do margins (10 s at the gateway leaves orders 9 s, inventory 8.1 s).
 */
export function answerMargin(budgetMs: number): number {
  return Math.min(1000, Math.max(20, Math.round(budgetMs / 10)));
}

/** A call to another service: the budget to send it, and how long to wait for its answer. */
export interface CallBudget {
  budgetMs: number;
  timeoutMs: number;
}

export class Deadline {
  /** Milliseconds set aside at the end of the budget to answer the caller. */
  readonly marginMs: number;
  private readonly endsAt: number;

  constructor(
    readonly budgetMs: number,
    // A clock of milliseconds that never goes back (tests may pass their own).
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(budgetMs) || budgetMs < 0) throw new TypeError(`Deadline expected a budget of 0 ms or more, got ${budgetMs}.`);
    this.marginMs = answerMargin(budgetMs);
    this.endsAt = now() + budgetMs;
  }

  /** The budget a request states in its BUDGET_HEADER, or `fallbackMs` without (or with a malformed) one. */
  static fromHeader(value: string | string[] | undefined | null, fallbackMs = DEFAULT_BUDGET_MS): Deadline {
    const raw = Array.isArray(value) ? value[0] : value;
    const budget = raw != null && /^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : fallbackMs;
    return new Deadline(Math.min(budget, MAX_BUDGET_MS));
  }

  /** Time left until the caller stops waiting. */
  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now());
  }

  /** Time left for work: what remains once the margin to answer is set aside (0 when spent). */
  workRemainingMs(): number {
    return Math.max(0, this.endsAt - this.marginMs - this.now());
  }

  /** No time is left for work: answer now. */
  get spent(): boolean {
    return this.workRemainingMs() <= 0;
  }

  /**
   * A call made now: the callee gets the time left for work here, and the caller waits
   * half a margin longer, so the callee's "no" arrives before the caller gives up and the
   * caller still has half its margin to answer. Undefined when too little is left to call.
   */
  nextCall(): CallBudget | undefined {
    const budgetMs = Math.floor(this.workRemainingMs());
    if (budgetMs < MIN_CALL_BUDGET_MS) return undefined;
    return { budgetMs, timeoutMs: budgetMs + Math.floor(this.marginMs / 2) };
  }

  /**
   * A short call made from the margin itself, after the work is over (releasing what a
   * call that timed out may have left behind): half of what remains, waited for a little
   * longer, still ending before the caller gives up.
   */
  finalCall(): CallBudget | undefined {
    const remaining = this.remainingMs();
    const budgetMs = Math.floor(remaining / 2);
    if (budgetMs < MIN_CALL_BUDGET_MS) return undefined;
    return { budgetMs, timeoutMs: Math.floor(remaining * 0.75) };
  }
}
