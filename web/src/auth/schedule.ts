// When to renew the access token: a minute before it expires (a fifth of its lifetime if that is shorter),
// so requests never carry an expired token and a slow network still has time.
export const MARGIN_MS = 60_000;

export function expiryFrom(expiresInS: number, nowMs: number): number {
  return nowMs + expiresInS * 1000;
}

function margin(lifetimeMs: number): number {
  return Math.min(MARGIN_MS, Math.max(0, lifetimeMs) / 5);
}

/** Milliseconds from now until the silent refresh; 0 when it is already due. */
export function refreshDelay(expiresAtMs: number, nowMs: number, lifetimeMs: number): number {
  return Math.max(0, expiresAtMs - margin(lifetimeMs) - nowMs);
}

/** Whether a token must be renewed before it is used. */
export function needsRefresh(expiresAtMs: number, nowMs: number, lifetimeMs: number): boolean {
  return refreshDelay(expiresAtMs, nowMs, lifetimeMs) === 0;
}
