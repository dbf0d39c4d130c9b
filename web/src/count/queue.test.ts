import { IDBFactory } from "fake-indexeddb";
import { beforeEach, describe, expect, it } from "vitest";
import { lineKey, Outbox, Queue, type Entry, type Outcome } from "./queue";

function entry(item: string, countedAt: string, qty = "1"): Entry {
  return {
    key: lineKey("s1", "loc", item),
    session_id: "s1",
    location_id: "loc",
    item_id: item,
    qty_on_hand: qty,
    breakdown: null,
    counted_at: countedAt,
    typed: { "": qty },
    error: null,
  };
}

/** A server to send to: answers with the outcome the test sets, and records every request. */
class FakeServer {
  sent: Entry[] = [];
  answer: (entry: Entry) => Outcome = () => ({ kind: "sent" });
  send = async (e: Entry): Promise<Outcome> => {
    const outcome = this.answer(e);
    if (outcome.kind !== "waiting") this.sent.push(e);
    return outcome;
  };
}

let factory: IDBFactory;
let queue: Queue;
let server: FakeServer;
let outbox: Outbox;

beforeEach(async () => {
  factory = new IDBFactory();
  queue = await Queue.open(factory);
  server = new FakeServer();
  outbox = new Outbox(queue, server.send);
});

describe("the count queue", () => {
  it("keeps one entry per line: entering it again replaces the pending one", async () => {
    await queue.put(entry("flour", "2026-12-01T10:00:00.000Z", "3"));
    await queue.put(entry("milk", "2026-12-01T10:00:01.000Z", "12"));
    await queue.put(entry("flour", "2026-12-01T10:00:02.000Z", "4"));
    const left = await queue.entries();
    expect(left.map((e) => [e.item_id, e.qty_on_hand])).toEqual([
      ["milk", "12"],
      ["flour", "4"],
    ]);
  });

  it("survives closing the database (a reload)", async () => {
    await queue.put(entry("flour", "2026-12-01T10:00:00.000Z", "3"));
    queue.close();
    const reopened = await Queue.open(factory);
    expect((await reopened.entries()).map((e) => e.typed)).toEqual([{ "": "3" }]);
  });

  it("sends each entry once and removes it only when the server acknowledged it", async () => {
    await queue.put(entry("flour", "2026-12-01T10:00:00.000Z"));
    await queue.put(entry("milk", "2026-12-01T10:00:01.000Z"));
    expect(await outbox.flush()).toBe(true);
    expect(server.sent.map((e) => e.item_id)).toEqual(["flour", "milk"]);
    expect(await queue.entries()).toEqual([]);
    await outbox.flush();
    expect(server.sent).toHaveLength(2);
  });

  it("keeps entries while offline and sends them, once each, when the network is back", async () => {
    server.answer = () => ({ kind: "waiting" });
    await outbox.enter(entry("flour", "2026-12-01T10:00:00.000Z"));
    await outbox.enter(entry("milk", "2026-12-01T10:00:01.000Z"));
    expect(await outbox.flush()).toBe(false);
    expect(await queue.entries()).toHaveLength(2);
    expect(server.sent).toEqual([]);
    server.answer = () => ({ kind: "sent" });
    await Promise.all([outbox.flush(), outbox.flush(), outbox.flush()]); // the online event and a tap at once
    expect(server.sent.map((e) => e.item_id)).toEqual(["flour", "milk"]);
    expect(await queue.entries()).toEqual([]);
  });

  it("marks a refused entry with the reason and does not send it again until it is re-entered", async () => {
    server.answer = (e) => (e.item_id === "flour" ? { kind: "refused", message: "Not a line" } : { kind: "sent" });
    await outbox.enter(entry("flour", "2026-12-01T10:00:00.000Z"));
    await outbox.enter(entry("milk", "2026-12-01T10:00:01.000Z"));
    expect((await queue.entries()).map((e) => [e.item_id, e.error])).toEqual([["flour", "Not a line"]]);
    await outbox.flush();
    expect(server.sent.map((e) => e.item_id)).toEqual(["flour", "milk"]);
    server.answer = () => ({ kind: "sent" });
    await outbox.enter(entry("flour", "2026-12-01T10:00:05.000Z", "2"));
    expect(server.sent.map((e) => [e.item_id, e.qty_on_hand])).toEqual([
      ["flour", "1"],
      ["milk", "1"],
      ["flour", "2"],
    ]);
    expect(await queue.entries()).toEqual([]);
  });

  it("does not drop a re-entry made while the earlier one was on its way", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: Entry[] = [];
    const slow = new Outbox(queue, async (e) => {
      sent.push(e);
      if (sent.length === 1) await gate;
      return { kind: "sent" };
    });
    await queue.put(entry("flour", "2026-12-01T10:00:00.000Z", "3"));
    const first = slow.flush();
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const second = slow.enter(entry("flour", "2026-12-01T10:00:09.000Z", "5")); // recounted meanwhile
    release();
    await Promise.all([first, second]);
    expect(sent.map((e) => e.qty_on_hand)).toEqual(["3", "5"]);
    expect(await queue.entries()).toEqual([]);
  });

  it("goes round again when the network comes back while a send is failing", async () => {
    // The e2e outage test's race: the screen's flush is still sending (and about to fail, offline) when the
    // browser's online event asks for another. That second flush must not be lost with the failing round.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const sent: string[] = [];
    const flaky = new Outbox(queue, async (e) => {
      calls += 1;
      if (calls === 1) {
        await gate;
        return { kind: "waiting" }; // the first send fails, after the online event came
      }
      sent.push(e.item_id);
      return { kind: "sent" };
    });
    await queue.put(entry("sugar", "2026-12-01T10:00:00.000Z", "0"));
    await queue.put(entry("rice", "2026-12-01T10:00:01.000Z", "7.5"));
    const screen = flaky.flush();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const back = flaky.flush(); // the online event, while the first send is still out
    release();
    expect(await Promise.all([screen, back])).toEqual([true, true]);
    expect(sent).toEqual(["sugar", "rice"]);
    expect(await queue.entries()).toEqual([]);
  });

  it("tells listeners when the queue changes", async () => {
    let calls = 0;
    const stop = outbox.subscribe(() => calls++);
    await outbox.enter(entry("flour", "2026-12-01T10:00:00.000Z"));
    expect(calls).toBe(2); // queued, then sent
    stop();
    await outbox.enter(entry("milk", "2026-12-01T10:00:01.000Z"));
    expect(calls).toBe(2);
  });
});
