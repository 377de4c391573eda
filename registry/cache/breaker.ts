/**
 * A circuit breaker for the cache backend: after `threshold` failures in a row (timeouts of a hung
 * Redis, refused connections) the backend is skipped for `coolDownMs`, so a request costs at most the
 * one short timeout that tripped it and then nothing. After the cool-down one call is let through as a
 * probe (half-open): success closes the circuit, failure opens it again.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold: number;
  coolDownMs: number;
  onChange(state: CircuitState, lastError: unknown): void;
  now?: () => number;
}

/** Thrown instead of calling the backend while the circuit is open. */
export class CircuitOpenError extends Error {
  constructor() {
    super('the cache circuit is open: Redis is skipped until its cool-down ends');
    this.name = 'CircuitOpenError';
  }
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Runs `call` unless the circuit is open; its failures and successes move the circuit. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const probe = this.admit();
    try {
      const result = await call();
      this.succeeded();
      return result;
    } catch (err) {
      this.failed(err, probe);
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Whether a call may go to the backend now; true when it is the half-open probe. */
  private admit(): boolean {
    if (this.current === 'closed') return false;
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.coolDownMs) {
      this.change('half-open', undefined);
    }
    if (this.current === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    throw new CircuitOpenError();
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.current !== 'closed') this.change('closed', undefined);
  }

  private failed(err: unknown, probe: boolean): void {
    this.failures++;
    if (probe || (this.current === 'closed' && this.failures >= this.options.threshold)) {
      this.openedAt = this.now();
      this.change('open', err);
    }
  }

  private change(state: CircuitState, lastError: unknown): void {
    this.current = state;
    this.options.onChange(state, lastError);
  }
}
