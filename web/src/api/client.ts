// The typed API client (types generated from /v1/openapi.json by `make web-client`). Every request carries
// the in-memory access token; a 401 renews it once, and the caller's query retries.
import createClient, { type Middleware } from "openapi-fetch";
import { session } from "../auth/session";
import { ApiError, type Problem } from "../lib/problems";
import type { paths } from "./schema";

const bearer: Middleware = {
  async onRequest({ request }) {
    const token = await session.accessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status === 401) {
      const sent = request.headers.get("Authorization")?.replace(/^Bearer /, "");
      if (sent) await session.rejected(sent);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(bearer);

/** The data of a successful answer, or an ApiError carrying the problem document. */
/** The JSON body of a successful answer. Lists and reports may also answer text/csv (CONTRACT §16), so
 * the generated types allow a string; the console always asks for JSON, so a string here is a bug. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): Exclude<T, string> {
  if (typeof result.data === "string") throw new Error("expected JSON, got text");
  if (result.data !== undefined && result.response.ok) return result.data as Exclude<T, string>;
  if (result.response.ok) return undefined as Exclude<T, string>; // 204
  throw new ApiError(result.response.status, (result.error as Problem | undefined) ?? null);
}

/** A fresh Idempotency-Key for one user action: a retry of the same action reuses it. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** The ETag of a GET just made (the version an edit's If-Match names), or the ApiError it answered. */
export function etagOf(result: { data?: unknown; error?: unknown; response: Response }): string | undefined {
  unwrap(result);
  return result.response.headers.get("ETag") ?? undefined;
}
