// The queue of queue.ts in this browser's IndexedDB, sent through the API client, and a hook for the screen.
// It is sent when a line is entered, when the screen opens, when the browser says it is online again, and when
// the person presses "Send now"; a 401 or a busy server makes the entries wait for the next of those.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { ApiError, formErrors, type Problem } from "../lib/problems";
import { Outbox, Queue, type Entry, type Outcome } from "./queue";

export type Line = components["schemas"]["CountSessionLine"];

// Statuses that say "not now" rather than "no": the entry waits and goes again.
const TRANSIENT = new Set([401, 408, 425, 429]);

const sentLines = new Set<(line: Line) => void>();
let opened: Promise<Outbox> | null = null;

export function linesKey(sessionId: string, locationId: string) {
  return ["count-lines", sessionId, locationId] as const;
}

function bodyOf(entry: Entry) {
  const { item_id, location_id, qty_on_hand, breakdown, counted_at } = entry; // one of qty_on_hand, breakdown is null
  return { item_id, location_id, qty_on_hand, breakdown, counted_at };
}

/** The words for a refused line: the field's message where the API names one, else the problem's. */
function refusal(error: ApiError): string {
  const errors = formErrors(error);
  const fields = Object.values(errors.fields);
  if (fields.length > 0) return fields.join(" ");
  return error.status < 500 && error.problem?.detail ? error.problem.detail : errors.message; // "… is not open"
}

async function send(entry: Entry): Promise<Outcome> {
  if (!navigator.onLine) return { kind: "waiting" };
  try {
    const result = await api.PUT("/v1/count-sessions/{id}/lines", {
      params: { path: { id: entry.session_id } },
      body: bodyOf(entry),
    });
    const status = result.response.status;
    if (result.response.ok && result.data) {
      for (const listener of sentLines) listener(result.data);
      return { kind: "sent" };
    }
    if (TRANSIENT.has(status) || status >= 500) return { kind: "waiting" };
    return { kind: "refused", message: refusal(new ApiError(status, (result.error as Problem | undefined) ?? null)) };
  } catch {
    return { kind: "waiting" }; // the network failed: the server may not have seen it, and a resend is harmless
  }
}

export function countOutbox(): Promise<Outbox> {
  opened ??= Queue.open(indexedDB).then((queue) => {
    const box = new Outbox(queue, send);
    window.addEventListener("online", () => void box.flush());
    return box;
  });
  return opened;
}

export interface CountQueue {
  /** This session's entries still in the queue, by line key; null until read from IndexedDB. */
  entries: Map<string, Entry> | null;
  /** How many of them wait to be sent (refused ones do not). */
  waiting: number;
  online: boolean;
  enter: (entry: Entry) => void;
  sendNow: () => void;
}

export function useCountQueue(sessionId: string): CountQueue {
  const queries = useQueryClient();
  const [entries, setEntries] = useState<Map<string, Entry> | null>(null);
  const [online, setOnline] = useState(navigator.onLine);
  const [box, setBox] = useState<Outbox | null>(null);

  useEffect(() => {
    let live = true;
    let stop = () => {};
    const reread = async (found: Outbox) => {
      const all = await found.queue.entries();
      if (live) setEntries(new Map(all.filter((e) => e.session_id === sessionId).map((e) => [e.key, e])));
    };
    void countOutbox().then((found) => {
      if (!live) return;
      setBox(found);
      stop = found.subscribe(() => void reread(found));
      void reread(found).then(() => found.flush());
    });
    return () => {
      live = false;
      stop();
    };
  }, [sessionId]);

  useEffect(() => {
    const onSent = (line: Line) => {
      const key = linesKey(sessionId, line.location_id);
      // A fetch of these lines already under way began before this line was saved: its answer would put the
      // line back as uncounted (the browser's online event refetches while the outbox sends). Fetch again.
      const stale = queries.isFetching({ queryKey: key }) > 0;
      queries.setQueryData<Line[]>(key, (lines) => lines?.map((old) => (old.item_id === line.item_id ? line : old)));
      if (stale) void queries.invalidateQueries({ queryKey: key }); // cancels that fetch, then fetches anew
    };
    const onNetwork = () => setOnline(navigator.onLine);
    sentLines.add(onSent);
    window.addEventListener("online", onNetwork);
    window.addEventListener("offline", onNetwork);
    return () => {
      sentLines.delete(onSent);
      window.removeEventListener("online", onNetwork);
      window.removeEventListener("offline", onNetwork);
    };
  }, [queries, sessionId]);

  const enter = useCallback((entry: Entry) => void box?.enter(entry), [box]);
  const sendNow = useCallback(() => void box?.flush(), [box]);
  const waiting = entries ? [...entries.values()].filter((e) => e.error === null).length : 0;
  return { entries, waiting, online, enter, sendNow };
}
