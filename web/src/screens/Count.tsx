// Count: pick an open session (a manager may open one), pick a location, walk its lines (count/Sheet.tsx).
// Each step has its own address (/count, /count/:session, /count/:session/:location), so a reload mid-count
// comes back to the same shelf, with what was entered shown again from the queue and the server.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, Route, Routes, useLocation, useNavigate, useParams } from "react-router";
import { api, idempotencyKey, unwrap } from "../api/client";
import { useLocations, type Location } from "../api/queries";
import type { components } from "../api/schema";
import { Button, Checkbox, ErrorMessage, Field, Loading, Notice, Screen } from "../components/ui";
import { useCountQueue } from "../count/outbox";
import { Review } from "../count/Review";
import { Sheet } from "../count/Sheet";
import { when } from "../lib/format";
import { managesCatalog, type Role } from "../lib/nav";
import { formErrors } from "../lib/problems";

type Session = components["schemas"]["CountSession"];

const linkClass =
  "flex min-h-11 w-full items-center justify-between gap-3 rounded-md border border-stone-300 bg-white px-3 py-3 " +
  "text-left hover:bg-stone-100";

function placesOf(session: Session, locations: Location[] | undefined): string {
  const names = new Map((locations ?? []).map((l) => [l.id, l.name]));
  return session.location_ids.map((id) => names.get(id) ?? "a location").join(", ");
}

export default function Count({ role }: { role: Role }) {
  return (
    <Routes>
      <Route index element={<Sessions role={role} />} />
      <Route path=":sessionId" element={<SessionPage role={role} />} />
      <Route path=":sessionId/:locationId" element={<SheetPage />} />
    </Routes>
  );
}

function Sessions({ role }: { role: Role }) {
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const locations = useLocations();
  const sessions = useQuery({
    queryKey: ["count-sessions", "open"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/count-sessions", { params: { query: { status: "open", limit: 200 } } })),
  });
  return (
    <Screen title="Count">
      {notice && <Notice>{notice}</Notice>}
      {sessions.isError && <ErrorMessage errors={formErrors(sessions.error)} />}
      {sessions.isPending ? (
        <Loading what="open counts" />
      ) : sessions.data?.data.length === 0 ? (
        <p>No count is open. {managesCatalog(role) ? "Open one below." : "A manager opens one."}</p>
      ) : (
        <ul className="space-y-2" aria-label="Open counts">
          {sessions.data?.data.map((session) => (
            <li key={session.id}>
              <Link to={`/count/${session.id}`} className={linkClass}>
                <span>
                  <span className="block font-medium">{placesOf(session, locations.data)}</span>
                  <span className="block text-sm text-stone-600">
                    Started {when(session.started_at)}
                    {session.blind ? ", blind" : ""}
                    {session.note ? `: ${session.note}` : ""}
                  </span>
                </span>
                <span className="shrink-0 tabular-nums">
                  {session.lines_counted} / {session.lines_total}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {managesCatalog(role) && <OpenSession locations={locations.data ?? []} />}
    </Screen>
  );
}

function OpenSession({ locations }: { locations: Location[] }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [chosen, setChosen] = useState<string[]>([]);
  const [blind, setBlind] = useState(false);
  const [note, setNote] = useState("");
  const [key] = useState(idempotencyKey);
  const open = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/count-sessions", {
          params: { header: { "Idempotency-Key": key } },
          body: { location_ids: chosen, blind, note: note.trim() || null },
        }),
      ),
    onSuccess: async (session) => {
      await queries.invalidateQueries({ queryKey: ["count-sessions"] });
      void navigate(`/count/${session.id}`);
    },
  });
  const errors = open.isError ? formErrors(open.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    open.mutate();
  };
  const toggle = (id: string, on: boolean) =>
    setChosen((current) => (on ? [...current, id] : current.filter((c) => c !== id)));
  return (
    <form onSubmit={submit} className="space-y-3 rounded-md border border-stone-300 bg-white p-3">
      <h2 className="text-xl font-semibold">Open a count</h2>
      <ErrorMessage errors={errors} />
      <fieldset className="space-y-1">
        <legend className="font-medium">Locations to count</legend>
        {locations
          .filter((l) => l.active)
          .map((l) => (
            <Checkbox key={l.id} label={l.name} checked={chosen.includes(l.id)} onChange={(on) => toggle(l.id, on)} />
          ))}
        {errors?.fields.location_ids && <p className="text-sm text-red-800">{errors.fields.location_ids}</p>}
      </fieldset>
      <Checkbox label="Blind: counters do not see what is expected" checked={blind} onChange={setBlind} />
      <Field label="Note (optional)" value={note} onChange={setNote} error={errors?.fields.note} />
      <Button type="submit" disabled={open.isPending || chosen.length === 0}>
        {open.isPending ? "Opening…" : "Open the count"}
      </Button>
    </form>
  );
}

function SessionPage({ role }: { role: Role }) {
  const { sessionId = "" } = useParams();
  const navigate = useNavigate();
  const locations = useLocations();
  const queue = useCountQueue(sessionId);
  const session = useQuery({
    queryKey: ["count-sessions", sessionId],
    queryFn: async () => unwrap(await api.GET("/v1/count-sessions/{id}", { params: { path: { id: sessionId } } })),
  });
  const back = (
    <Link to="/count" className="flex min-h-11 items-center rounded-md border border-stone-400 px-4">
      Counts
    </Link>
  );
  if (session.isError) {
    return (
      <Screen title="Count" actions={back}>
        <ErrorMessage errors={formErrors(session.error)} />
      </Screen>
    );
  }
  if (!session.data) return <Loading what="the count" />;
  const data = session.data;
  const names = new Map((locations.data ?? []).map((l) => [l.id, l]));
  return (
    <Screen title="Count" actions={back}>
      <p>
        {data.lines_counted} of {data.lines_total} lines counted{data.blind ? " (blind count)" : ""}.
        {queue.waiting > 0 ? ` ${queue.waiting} waiting to be sent from this phone.` : ""}
      </p>
      {data.status !== "open" && <p role="alert">This count is {data.status}: nothing more can be entered.</p>}
      <ul className="space-y-2" aria-label="Locations to count">
        {data.location_ids.map((id) => (
          <li key={id}>
            <Link to={`/count/${data.id}/${id}`} className={linkClass}>
              <span className="font-medium">{names.get(id)?.name ?? "Location"}</span>
              <span className="text-sm text-stone-600">{names.get(id)?.code}</span>
            </Link>
          </li>
        ))}
      </ul>
      {managesCatalog(role) && data.status === "open" && (
        <Review
          session={data}
          waiting={queue.waiting}
          onDone={(text) => void navigate("/count", { state: { notice: text } })}
        />
      )}
    </Screen>
  );
}

function SheetPage() {
  const { sessionId = "", locationId = "" } = useParams();
  return <Sheet sessionId={sessionId} locationId={locationId} />;
}
