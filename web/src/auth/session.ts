// The signed-in session of this tab: the access token lives in this module's memory only (never in
// localStorage, sessionStorage or a readable cookie); the refresh token is the server's HttpOnly cookie.
//
// Refresh tokens rotate and a spent one revokes its family, so two tabs must never send the same cookie
// at once. Every refresh runs under one cross-tab Web Lock: the second tab waits, and by then the cookie
// jar holds the rotated token (Set-Cookie is stored before fetch resolves), or the first tab's
// BroadcastChannel message has already handed it the new access token and it skips the request.
import createClient from "openapi-fetch";
import type { paths } from "../api/schema";
import { ApiError, type Problem } from "../lib/problems";
import { expiryFrom, needsRefresh, refreshDelay } from "./schedule";

const LOCK = "neuropilot-refresh";
// Whether this browser signed in and has not signed out: a flag, never a token. Without it the page does not
// try the cookie at start-up (a 401 on every visit of a signed-out browser would be noise in its console).
const HINT = "neuropilot.signed-in";
const CHANNEL = "neuropilot-session";
const WEB = { "X-NeuroPilot-Client": "web" } as const;

type Message = { type: "token"; token: string; expiresAt: number; lifetime: number } | { type: "signed-out" };

export type Status = "starting" | "signed-in" | "signed-out";

const authApi = createClient<paths>({ baseUrl: "" });

async function withLock<T>(run: () => Promise<T>): Promise<T> {
  // Web Locks exist in secure contexts (https, and http://127.0.0.1 or localhost); elsewhere one tab at a time is
  // all that can be hoped for.
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(LOCK, run);
  }
  return run();
}

function hint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, "1");
    else localStorage.removeItem(HINT);
  } catch {
    // Storage refused (private mode): the page then simply asks the server at each load.
  }
}

function hinted(): boolean {
  try {
    return localStorage.getItem(HINT) !== null;
  } catch {
    return true;
  }
}

class Session {
  private token: string | null = null;
  private expiresAt = 0;
  private lifetime = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: Promise<boolean> | null = null;
  private readonly channel: BroadcastChannel | null;
  private readonly listeners = new Set<() => void>();
  status: Status = "starting";

  constructor() {
    this.channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
    this.channel?.addEventListener("message", (event: MessageEvent<Message>) => this.receive(event.data));
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getStatus = (): Status => this.status;

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private receive(message: Message): void {
    if (message.type === "token" && message.expiresAt > this.expiresAt) {
      this.adopt(message.token, message.expiresAt, message.lifetime, false);
    } else if (message.type === "signed-out" && this.status !== "signed-out") {
      this.clear(false);
    }
  }

  private adopt(token: string, expiresAt: number, lifetime: number, share: boolean): void {
    this.token = token;
    this.expiresAt = expiresAt;
    this.lifetime = lifetime;
    this.status = "signed-in";
    hint(true);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), refreshDelay(expiresAt, Date.now(), lifetime));
    if (share) this.channel?.postMessage({ type: "token", token, expiresAt, lifetime } satisfies Message);
    this.notify();
  }

  private clear(share: boolean, forget = true): void {
    this.token = null;
    this.expiresAt = 0;
    clearTimeout(this.timer);
    this.status = "signed-out";
    if (forget) hint(false);
    if (share) this.channel?.postMessage({ type: "signed-out" } satisfies Message);
    this.notify();
  }

  private fresh(): boolean {
    return this.token !== null && !needsRefresh(this.expiresAt, Date.now(), this.lifetime);
  }

  /** At page load: resume the session from the cookie if this browser has one. */
  async start(): Promise<void> {
    if (hinted()) await this.refresh();
    else this.clear(false);
  }

  /** Sign in; the Problem on refusal (wrong password, too many attempts). */
  async signIn(email: string, password: string): Promise<void> {
    const { data, error, response } = await authApi.POST("/v1/auth/login", {
      params: { header: WEB },
      body: { email, password },
    });
    if (!data) throw new ApiError(response.status, (error as Problem | undefined) ?? null);
    this.adopt(data.access_token, expiryFrom(data.expires_in, Date.now()), data.expires_in * 1000, true);
  }

  /** Renew the access token from the cookie; false when the session is over. Concurrent callers share one try. */
  refresh(rejected?: string): Promise<boolean> {
    this.pending ??= withLock(async () => {
      // While this tab waited for the lock another one may have renewed and told us; then there is nothing to do.
      if (this.fresh() && (rejected === undefined || this.token !== rejected)) return true;
      try {
        const { data, response } = await authApi.POST("/v1/auth/refresh", { params: { header: WEB } });
        if (data) {
          this.adopt(data.access_token, expiryFrom(data.expires_in, Date.now()), data.expires_in * 1000, true);
          return true;
        }
        if (response.status === 401 || response.status === 403) {
          this.clear(this.status === "signed-in");
          return false;
        }
      } catch {
        // Offline or the server is down: keep what we have and try again shortly.
      }
      // Unreachable at start-up: show the sign-in form, but keep the flag, so the next load tries the cookie again.
      if (this.status === "starting") this.clear(false, false);
      else this.retrySoon();
      return this.token !== null;
    }).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private retrySoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 15_000);
  }

  /** A token good for the next request, renewed first if it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    if (!this.fresh() && this.status !== "signed-out") await this.refresh();
    return this.token;
  }

  /** The server refused this token (401): renew once, unless another request already did. */
  async rejected(token: string): Promise<boolean> {
    return this.refresh(token);
  }

  async signOut(): Promise<void> {
    const token = await this.accessToken();
    try {
      await authApi.POST("/v1/auth/logout", {
        params: { header: WEB },
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
    } finally {
      this.clear(true);
    }
  }
}

export const session = new Session();
