// The count's outbox. Every entered line goes into IndexedDB first and is sent from there, so a count survives
// a dead network and a reload. One entry per (session, location, item): entering a line again replaces its
// pending entry. counted_at is the device's clock at entry, and the API keeps the line with the latest
// counted_at, so an entry that reaches the server late never overwrites a recount made meanwhile.
// An entry leaves the queue only once the server acknowledged it; one the server refuses stays, with the
// reason, until the line is entered again.

export interface Part {
  pack_id: string | null;
  qty: string;
}

export interface Entry {
  key: string;
  session_id: string;
  location_id: string;
  item_id: string;
  qty_on_hand: string | null;
  breakdown: Part[] | null;
  counted_at: string;
  /** What was typed, by field ("" for stock units, else the pack's id), to show again after a reload. */
  typed: Record<string, string>;
  /** Why the server refused it; such an entry is not sent again until the line is re-entered. */
  error: string | null;
}

export type Outcome = { kind: "sent" } | { kind: "refused"; message: string } | { kind: "waiting" };

const STORE = "pending";

export function lineKey(sessionId: string, locationId: string, itemId: string): string {
  return `${sessionId}/${locationId}/${itemId}`;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB request failed"));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

export class Queue {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(factory: IDBFactory, name = "neuropilot-count"): Promise<Queue> {
    const request = factory.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    return new Queue(await done(request));
  }

  close(): void {
    this.db.close();
  }

  /** Adds the entry, replacing any pending one for the same line. */
  async put(entry: Entry): Promise<void> {
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(entry);
    await committed(tx);
  }

  /** Every entry, oldest entry first (the order they are sent in). */
  async entries(): Promise<Entry[]> {
    const all = (await done(this.db.transaction(STORE).objectStore(STORE).getAll())) as Entry[];
    return all.sort((a, b) => a.counted_at.localeCompare(b.counted_at));
  }

  /** Records what the server said about entry: sent removes it, refused marks it. Either only if the line was
   * not entered again while the request was out (a newer entry has a newer counted_at and must still go). */
  async settle(entry: Entry, outcome: Outcome): Promise<void> {
    if (outcome.kind === "waiting") return;
    const tx = this.db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    const request = store.get(entry.key);
    request.onsuccess = () => {
      const current = request.result as Entry | undefined;
      if (!current || current.counted_at !== entry.counted_at) return;
      if (outcome.kind === "sent") store.delete(entry.key);
      else store.put({ ...current, error: outcome.message });
    };
    await committed(tx);
  }
}

/** Sends the queue's entries one at a time. One drain runs at a time, so each entry goes out once; a flush asked
 * for while one runs makes it go round again (for the entries added meanwhile, and for those that were waiting:
 * the flush may be the browser saying it is online again while a send was failing). A waiting outcome (offline,
 * server unreachable or busy) stops the round: the rest wait for the next flush. */
export class Outbox {
  private running: Promise<void> | null = null;
  private again = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly queue: Queue,
    private readonly send: (entry: Entry) => Promise<Outcome>,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  async enter(entry: Entry): Promise<void> {
    await this.queue.put(entry);
    this.changed();
    await this.flush();
  }

  /** Resolves when the queue has been drained as far as the network allows; true if nothing is left to send. */
  async flush(): Promise<boolean> {
    if (this.running) {
      this.again = true;
      await this.running;
    } else {
      this.running = this.rounds();
      await this.running;
    }
    return (await this.queue.entries()).every((entry) => entry.error !== null);
  }

  private async rounds(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again);
    } finally {
      this.running = null; // in the same step as the last check of `again`: no flush can fall between
    }
  }

  private async drain(): Promise<void> {
    for (const entry of await this.queue.entries()) {
      if (entry.error !== null) continue;
      const outcome = await this.send(entry);
      if (outcome.kind === "waiting") return;
      await this.queue.settle(entry, outcome);
      this.changed();
    }
  }
}
