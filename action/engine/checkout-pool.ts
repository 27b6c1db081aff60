import { join } from "node:path";
import { AgentCheckout } from "./agent-checkout.ts";

/**
 * The agents' checkouts: one per proposal that may be made at once, each held from the proposal
 * until its candidate is screened (a CLI agent's files must not be overwritten by the next).
 */
export class CheckoutPool {
  readonly checkouts: AgentCheckout[];
  #free: number[];
  #waiting: ((index: number) => void)[] = [];

  constructor(root: string, count: number) {
    this.checkouts = Array.from(
      { length: count },
      (_, i) => new AgentCheckout(join(root, String(i))),
    );
    this.#free = this.checkouts.map((_, i) => i);
  }

  /** Waits for a free checkout and returns its index. */
  async take(): Promise<number> {
    const index = this.#free.shift();
    if (index !== undefined) return index;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  give(index: number): void {
    const next = this.#waiting.shift();
    if (next) next(index);
    else this.#free.push(index);
  }
}
