import type { Lease, LeaseLedger } from '@platform/reliable-consumer';

/**
 * Holds the current lease of one job while it runs. Renewals come from the consumer's heartbeat;
 * every renew bumps the fencing version, so a write that raced a renewal would carry a stale version
 * and be refused as "lease lost". `finish()` therefore stops renewals and waits for one in flight
 * before handing out the lease for the final write (complete, fail or release).
 */
export class LeaseKeeper {
  readonly #ledger: LeaseLedger;
  #lease: Lease;
  #renewing: Promise<void> | undefined;
  #finished = false;

  constructor(ledger: LeaseLedger, lease: Lease) {
    this.#ledger = ledger;
    this.#lease = lease;
  }

  get current(): Lease {
    return this.#lease;
  }

  /** Heartbeat hook. A LeaseLostError propagates: the consumer then aborts the handler. */
  async renew(signal: AbortSignal): Promise<void> {
    if (this.#finished) return;
    const renewal = this.#ledger.renew(this.#lease, { signal }).then((lease) => {
      this.#lease = lease;
    });
    this.#renewing = renewal.catch(() => undefined);
    await renewal;
  }

  async finish(): Promise<Lease> {
    this.#finished = true;
    await this.#renewing;
    return this.#lease;
  }
}
