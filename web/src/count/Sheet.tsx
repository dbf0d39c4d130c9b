// One location of a count session: its lines in shelf order, a big quantity field each, packs on request.
// A line is entered on Enter, on "Save" or when focus leaves it changed; it goes to the queue, and from there
// to the server (outbox.ts). Enter moves on to the next line, so a keyboard (or a phone's "next") walks the shelf.
import { useQuery } from "@tanstack/react-query";
import { useRef, useState, type FocusEvent, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../api/client";
import { useLocations } from "../api/queries";
import { control, ErrorMessage, Loading, Screen } from "../components/ui";
import { qty } from "../lib/format";
import { formErrors } from "../lib/problems";
import { linesKey, useCountQueue, type CountQueue, type Line } from "./outbox";
import { lineKey, type Entry, type Part } from "./queue";

const MAX_PAGES = 25; // 5,000 lines, the longest sheet the API takes
const NUMBER = /^\d+(\.\d{1,3})?$/;

type Typed = Record<string, string>; // "" → stock units, pack id → packs

function typedFrom(line: Line): Typed {
  if (line.breakdown) return Object.fromEntries(line.breakdown.map((part) => [part.pack_id ?? "", qty(part.qty)]));
  return line.counted_qty === null ? {} : { "": qty(line.counted_qty) };
}

/** The entry for what was typed, or a reason it cannot be one. Commas count as decimal points (phone keypads). */
function toEntry(sessionId: string, line: Line, typed: Typed): Entry | string | null {
  const clean = Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, v.trim().replace(",", ".")]));
  const given = Object.entries(clean).filter(([, v]) => v !== "");
  if (given.length === 0) return null;
  if (given.some(([, v]) => !NUMBER.test(v))) return "Enter a number, like 3 or 2.5.";
  const packs = given.filter(([k]) => k !== "");
  const breakdown: Part[] | null =
    packs.length === 0 ? null : given.map(([k, v]) => ({ pack_id: k === "" ? null : k, qty: v }));
  return {
    key: lineKey(sessionId, line.location_id, line.item_id),
    session_id: sessionId,
    location_id: line.location_id,
    item_id: line.item_id,
    qty_on_hand: breakdown ? null : (clean[""] ?? null),
    breakdown,
    counted_at: new Date().toISOString(),
    typed: Object.fromEntries(given),
    error: null,
  };
}

/** The stock-unit total of typed packs, to show beside them (display only: the server sums exactly). */
function total(line: Line, typed: Typed): string {
  let sum = Number(typed[""]?.replace(",", ".") || 0);
  for (const pack of line.packs) sum += Number(typed[pack.id]?.replace(",", ".") || 0) * Number(pack.qty);
  return Number.isFinite(sum) ? `${qty(sum.toFixed(3))} ${line.unit}` : "";
}

function inputId(line: Line): string {
  return `count-${line.location_id}-${line.item_id}`;
}

export function useSessionLines(sessionId: string, locationId: string) {
  return useQuery({
    queryKey: linesKey(sessionId, locationId),
    queryFn: async () => {
      const rows: Line[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const data = unwrap(
          await api.GET("/v1/count-sessions/{id}/lines", {
            params: { path: { id: sessionId }, query: { location_id: locationId, limit: 200, cursor } },
          }),
        );
        rows.push(...data.data);
        if (!data.next_cursor) break;
        cursor = data.next_cursor;
      }
      return rows;
    },
  });
}

export function Sheet({ sessionId, locationId }: { sessionId: string; locationId: string }) {
  const lines = useSessionLines(sessionId, locationId);
  const locations = useLocations();
  const queue = useCountQueue(sessionId);
  const where = locations.data?.find((l) => l.id === locationId);
  const back = (
    <Link to={`/count/${sessionId}`} className="flex min-h-11 items-center rounded-md border border-stone-400 px-4">
      Locations
    </Link>
  );
  const title = where ? `Count ${where.name}` : "Count";
  if (lines.isError) {
    return (
      <Screen title={title} actions={back}>
        <ErrorMessage errors={formErrors(lines.error)} />
      </Screen>
    );
  }
  if (!lines.data || !queue.entries) return <Loading what="the count sheet" />;
  const rows = lines.data;
  const entries = queue.entries;
  const counted = rows.filter((line) => {
    const entry = entries.get(lineKey(sessionId, line.location_id, line.item_id));
    return entry ? entry.error === null : line.counted_qty !== null;
  }).length;
  return (
    <Screen title={title} actions={back}>
      <Progress counted={counted} total={rows.length} queue={queue} />
      {rows.length === 0 ? (
        <p>This location has no lines to count.</p>
      ) : (
        <ol className="space-y-3" aria-label="Count lines">
          {rows.map((line, index) => (
            <li key={line.item_id}>
              <CountLine
                line={line}
                entry={entries.get(lineKey(sessionId, line.location_id, line.item_id))}
                nextId={rows[index + 1] ? inputId(rows[index + 1]) : null}
                sessionId={sessionId}
                onEnter={queue.enter}
              />
            </li>
          ))}
        </ol>
      )}
    </Screen>
  );
}

function Progress({ counted, total, queue }: { counted: number; total: number; queue: CountQueue }) {
  const waiting = queue.waiting;
  const lines = waiting === 1 ? "1 line is" : `${waiting} lines are`;
  return (
    <div className="sticky top-0 z-10 space-y-2 rounded-md border border-stone-300 bg-white p-3">
      <p className="text-lg font-medium" aria-live="polite">
        {counted} of {total} counted
      </p>
      <progress className="h-2 w-full accent-emerald-700" value={counted} max={Math.max(total, 1)} aria-hidden="true" />
      {waiting > 0 && (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p aria-live="polite" className="text-amber-900">
            {queue.online
              ? `${lines} waiting to be sent.`
              : `Offline: ${lines} waiting, and will be sent when the network is back.`}
          </p>
          <button
            type="button"
            onClick={queue.sendNow}
            className="min-h-11 rounded-md border border-stone-400 bg-white px-4 hover:bg-stone-100"
          >
            Send now
          </button>
        </div>
      )}
    </div>
  );
}

function CountLine(props: {
  line: Line;
  entry: Entry | undefined;
  nextId: string | null;
  sessionId: string;
  onEnter: (entry: Entry) => void;
}) {
  const { line, entry } = props;
  const [typed, setTyped] = useState<Typed>(() => entry?.typed ?? typedFrom(line));
  const [packs, setPacks] = useState(() => Object.keys(typed).some((k) => k !== ""));
  const [problem, setProblem] = useState<string | null>(null);
  const last = useRef(JSON.stringify(typed)); // what was last entered (or shown from the server)
  const id = inputId(line);
  const label = `${line.item_name} (${line.unit})`;

  const commit = () => {
    const made = toEntry(props.sessionId, line, typed);
    if (typeof made === "string") return setProblem(made);
    setProblem(null);
    if (made === null || JSON.stringify(made.typed) === last.current) return;
    last.current = JSON.stringify(made.typed);
    props.onEnter(made);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    commit();
    if (props.nextId) document.getElementById(props.nextId)?.focus();
  };
  const leave = (event: FocusEvent<HTMLFormElement>) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) commit();
  };
  const set = (key: string, value: string) => setTyped((current) => ({ ...current, [key]: value }));
  const error = problem ?? entry?.error ?? null;
  const state = error ? null : entry ? "Waiting to be sent" : line.counted_qty !== null ? "Saved" : null;

  return (
    <form onSubmit={submit} onBlur={leave} className="space-y-2 rounded-md border border-stone-300 bg-white p-3">
      <div className="flex items-baseline justify-between gap-2">
        <label htmlFor={id} className="text-lg font-medium">
          {label}
        </label>
        <span className="shrink-0 text-sm text-stone-600">{line.item_number}</span>
      </div>
      {line.expected !== null && (
        <p className="text-sm text-stone-600">
          On hand: {qty(line.expected)} {line.unit}
        </p>
      )}
      <div className="flex gap-2">
        <input
          id={id}
          className={`${control} min-h-14 text-2xl tabular-nums`}
          inputMode="decimal"
          autoComplete="off"
          enterKeyHint={props.nextId ? "next" : "done"}
          value={typed[""] ?? ""}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(event) => set("", event.target.value)}
        />
        <button type="submit" className="min-h-14 rounded-md bg-emerald-700 px-4 font-medium text-white">
          Save
        </button>
      </div>
      {line.packs.length > 0 && (
        <button
          type="button"
          aria-expanded={packs}
          aria-label={`Count ${line.item_name} in packs`}
          onClick={() => setPacks(!packs)}
          className="min-h-11 rounded-md border border-stone-400 px-3 text-base hover:bg-stone-100"
        >
          {packs ? "Hide packs" : "In packs"}
        </button>
      )}
      {packs && (
        <div className="space-y-2">
          <p className="text-sm text-stone-600">The field above is loose {line.unit}, besides the packs.</p>
          {line.packs.map((pack) => (
            <div key={pack.id} className="flex items-center gap-2">
              <label htmlFor={`${id}-${pack.id}`} className="w-1/2 text-base">
                {pack.name} of {qty(pack.qty)} {line.unit}
              </label>
              <input
                id={`${id}-${pack.id}`}
                aria-label={`${line.item_name}: ${pack.name} of ${qty(pack.qty)} ${line.unit}`}
                className={`${control} text-xl tabular-nums`}
                inputMode="decimal"
                autoComplete="off"
                value={typed[pack.id] ?? ""}
                onChange={(event) => set(pack.id, event.target.value)}
              />
            </div>
          ))}
          <p className="text-base">Total: {total(line, typed)}</p>
        </div>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-800">
          {error}
        </p>
      )}
      {state && <p className="text-sm text-stone-600">{state}</p>}
    </form>
  );
}
