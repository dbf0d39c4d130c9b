// CSV export of a list (CONTRACT §16): the API answers text/csv to `Accept: text/csv`. The access token
// lives in memory only, so a plain <a href> cannot carry it: the file is fetched with the bearer token and
// handed to the browser as a blob URL on an <a download> (blob: needs no CSP source; it is not a fetch).
import { api } from "../api/client";
import type { paths } from "../api/schema";
import { ApiError, type Problem } from "./problems";

type Get<P extends keyof paths> = paths[P] extends { get: infer G } ? G : never;

/** The GET routes that also answer CSV: their 200 has a text/csv body. */
export type CsvPath = {
  [P in keyof paths]: Get<P> extends { responses: { 200: { content: { "text/csv": string } } } } ? P : never;
}[keyof paths];

type Params<P extends CsvPath> = Get<P> extends { parameters: infer R } ? R : never;
export type CsvQuery<P extends CsvPath> = Params<P> extends { query?: infer Q } ? Exclude<Q, undefined> : never;
export type CsvPathParams<P extends CsvPath> = Params<P> extends { path?: infer T } ? T : never;

/** The name the server gives the file (`attachment; filename="items.csv"`), else the fallback. */
export function filenameFrom(disposition: string | null, fallback: string): string {
  const found = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? "");
  const name = found ? decodeURIComponent(found[1]).replace(/[/\\]/g, "_").trim() : "";
  return name || fallback;
}

/** Drops the paging parameters (the export is every record) and empty filters. */
export function exportQuery(query: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(query ?? {}).filter(([key, value]) => key !== "limit" && key !== "cursor" && value !== undefined && value !== ""),
  );
}

type LooseGet = (
  path: string,
  init: { params: { query: Record<string, unknown>; path?: unknown }; headers: Record<string, string>; parseAs: "blob" },
) => Promise<{ data?: Blob; error?: unknown; response: Response }>;

export async function fetchCsv(path: CsvPath, query?: Record<string, unknown>, pathParams?: unknown): Promise<{ blob: Blob; name: string }> {
  const get = api.GET as unknown as LooseGet;
  const ask = () =>
    get(path, { params: { query: exportQuery(query), path: pathParams }, headers: { Accept: "text/csv" }, parseAs: "blob" });
  let result = await ask();
  // A 401 has made the client renew the access token (api/client.ts): one more try, as the queries retry.
  if (result.response.status === 401) result = await ask();
  if (!result.response.ok || !result.data) {
    throw new ApiError(result.response.status, (result.error as Problem | undefined) ?? null);
  }
  const fallback = `${path.replace(/^\/v1\//, "").replace(/\{[^}]+\}\/?/g, "").replace(/\//g, "-")}.csv`;
  return { blob: result.data, name: filenameFrom(result.response.headers.get("Content-Disposition"), fallback) };
}

/** Hands a file to the browser's downloads, as a click on a link would. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the click; the URL is let go a little later so a slow start still finds it.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
