import { describe, expect, it } from "vitest";
import { expiryFrom, MARGIN_MS, needsRefresh, refreshDelay } from "./schedule";

const LIFETIME = 900_000; // the API's 15-minute access token

describe("silent refresh scheduling", () => {
  it("renews a minute before a 15-minute token expires", () => {
    const now = 1_000_000;
    const expiresAt = expiryFrom(900, now);
    expect(expiresAt).toBe(now + LIFETIME);
    expect(refreshDelay(expiresAt, now, LIFETIME)).toBe(LIFETIME - MARGIN_MS);
  });

  it("uses a fifth of a short lifetime as the margin", () => {
    expect(refreshDelay(10_000, 0, 10_000)).toBe(8_000);
  });

  it("is due at once when the margin has been reached or the token expired", () => {
    const expiresAt = 2_000_000;
    expect(refreshDelay(expiresAt, expiresAt - MARGIN_MS, LIFETIME)).toBe(0);
    expect(refreshDelay(expiresAt, expiresAt + 5_000, LIFETIME)).toBe(0);
    expect(needsRefresh(expiresAt, expiresAt - MARGIN_MS, LIFETIME)).toBe(true);
    expect(needsRefresh(expiresAt, expiresAt - MARGIN_MS - 1, LIFETIME)).toBe(false);
  });

  it("treats no token (expiry 0) as due", () => {
    expect(needsRefresh(0, Date.now(), 0)).toBe(true);
  });
});
