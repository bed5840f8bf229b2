/**
 * Exponential backoff: the delay before the next try after the `attempts`-th failed one, `baseMs`
 * doubled per further failure, at most `maxMs`. With `jitter` (0–1), that share of the delay is
 * randomised ("equal jitter"), so many rows that failed together do not retry in lockstep.
 */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs: number, jitter = 0, random: () => number = Math.random): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  if (jitter <= 0) return delay;
  const spread = delay * Math.min(1, jitter);
  return Math.round(delay - spread + random() * spread);
}
