/**
 * The simulation's time. Every part of the system reads "now" from it (`RetrainingSystem`'s
 * `now`, the predictor's), so a year of weekly cycles runs in minutes. It moves only forward, as
 * the ledger, cooldowns and monitoring windows assume.
 */
export class SimulatedClock {
  #ms: number;

  constructor(start: Date) {
    this.#ms = start.getTime();
  }

  readonly now = (): Date => new Date(this.#ms);

  advanceTo(instant: Date): void {
    if (instant.getTime() < this.#ms) {
      throw new RangeError(
        `the simulated clock cannot go back from ${this.now().toISOString()} to ${instant.toISOString()}`,
      );
    }
    this.#ms = instant.getTime();
  }
}
