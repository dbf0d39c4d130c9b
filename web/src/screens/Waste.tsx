// Log stock thrown away, with its reason (CONTRACT §15), and see what was wasted lately. Counters too.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import { useItems, useLocations } from "../api/queries";
import { CsvDownload } from "../components/CsvDownload";
import { Button, ErrorMessage, Field, Loading, Notice, Screen, SelectField } from "../components/ui";
import { qty, when } from "../lib/format";
import { formErrors, type FormErrors } from "../lib/problems";
import { REASONS, reasonLabel, type Reason } from "../lib/reasons";

const RECENT = 20;

export default function Waste() {
  const [done, setDone] = useState<string | null>(null);
  return (
    <Screen title="Waste">
      {done && <Notice>{done}</Notice>}
      <WasteForm onDone={setDone} />
      <RecentWaste />
    </Screen>
  );
}

/** What must be filled in before the API is asked, in the same shape as the API's own errors. */
function missing(itemId: string, locationId: string, amount: string): FormErrors | null {
  const fields: Record<string, string> = {};
  if (!locationId) fields.location_id = "Pick the location it was thrown away from.";
  if (!itemId) fields.item_id = "Pick the item.";
  if (!amount.trim()) fields.qty = "Enter how much was thrown away.";
  return Object.keys(fields).length ? { message: "Some fields need attention.", fields } : null;
}

function WasteForm({ onDone }: { onDone: (text: string) => void }) {
  const items = useItems();
  const locations = useLocations();
  const queries = useQueryClient();
  const [locationId, setLocationId] = useState("");
  const [itemId, setItemId] = useState("");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<Reason>("spoiled");
  const [note, setNote] = useState("");
  const [key, setKey] = useState(idempotencyKey); // one entry, however often the button is pressed
  const [local, setLocal] = useState<FormErrors | null>(null);
  const active = (items.data ?? []).filter((i) => i.active).sort((a, b) => a.name.localeCompare(b.name));
  const places = (locations.data ?? []).filter((l) => l.active);
  const item = active.find((i) => i.id === itemId);

  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/waste", {
          params: { header: { "Idempotency-Key": key } },
          body: { item_id: itemId, location_id: locationId, qty: amount.trim(), reason, note: note.trim() || null },
        }),
      ),
    onSuccess: async () => {
      const where = places.find((l) => l.id === locationId)?.name ?? "the location";
      onDone(`Logged ${qty(amount.trim())} ${item?.unit ?? ""} of ${item?.name ?? "the item"} as ${reason}, from ${where}.`);
      setAmount("");
      setNote("");
      setKey(idempotencyKey());
      await queries.invalidateQueries({ queryKey: ["movements", "waste"] });
      await queries.invalidateQueries({ queryKey: ["stock"] });
      await queries.invalidateQueries({ queryKey: ["reports"] });
    },
  });
  const errors = local ?? (save.isError ? formErrors(save.error) : null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = missing(itemId, locationId, amount);
    setLocal(problems);
    if (!problems) save.mutate();
  };
  if (items.isPending || locations.isPending) return <Loading what="items and locations" />;
  return (
    <form onSubmit={submit} className="space-y-3 rounded-md border border-stone-300 bg-white p-3" noValidate aria-label="Log waste">
      <ErrorMessage errors={errors} />
      <SelectField
        label="Location"
        value={locationId}
        onChange={setLocationId}
        options={[{ value: "", label: "Pick a location" }, ...places.map((l) => ({ value: l.id, label: `${l.name} (${l.code})` }))]}
        error={errors?.fields.location_id}
      />
      <SelectField
        label="Item"
        value={itemId}
        onChange={setItemId}
        options={[{ value: "", label: "Pick an item" }, ...active.map((i) => ({ value: i.id, label: `${i.name} (${i.item_number})` }))]}
        error={errors?.fields.item_id}
      />
      <Field
        label={item ? `Quantity (${item.unit})` : "Quantity"}
        inputMode="decimal"
        value={amount}
        onChange={setAmount}
        error={errors?.fields.qty}
      />
      <SelectField
        label="Reason"
        value={reason}
        onChange={(value) => setReason(value as Reason)}
        options={REASONS.map((r) => ({ value: r.value, label: r.label }))}
        error={errors?.fields.reason}
      />
      <Field label="Note (optional)" value={note} onChange={setNote} error={errors?.fields.note} />
      <Button type="submit" disabled={save.isPending}>
        {save.isPending ? "Logging…" : "Log waste"}
      </Button>
    </form>
  );
}

function RecentWaste() {
  const items = useItems();
  const locations = useLocations();
  const recent = useQuery({
    queryKey: ["movements", "waste"],
    queryFn: async () => unwrap(await api.GET("/v1/movements", { params: { query: { type: "waste", limit: RECENT } } })),
  });
  const names = new Map((items.data ?? []).map((i) => [i.id, i]));
  const places = new Map((locations.data ?? []).map((l) => [l.id, l]));
  return (
    <section aria-label="Recent waste" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-xl font-semibold">Recent waste</h2>
        <CsvDownload path="/v1/movements" what="waste" query={{ type: "waste" }} />
      </div>
      {recent.isError && <ErrorMessage errors={formErrors(recent.error)} />}
      {recent.isPending ? (
        <Loading what="recent waste" />
      ) : recent.data?.data.length === 0 ? (
        <p>Nothing has been logged as waste yet.</p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Waste entries">
          {recent.data?.data.map((row) => {
            const item = names.get(row.item_id);
            return (
              <li key={row.id} className="flex items-start justify-between gap-3 px-3 py-2">
                <div className="min-w-0">
                  <p className="font-medium break-words">{item?.name ?? row.item_id}</p>
                  <p className="text-sm break-words text-stone-600">
                    {reasonLabel(row.reason)} · {places.get(row.location_id)?.name ?? ""} ·{" "}
                    {when(row.created_at)}
                    {row.note ? ` · ${row.note}` : ""}
                  </p>
                </div>
                <p className="shrink-0 text-right tabular-nums">
                  {qty(row.qty.replace(/^-/, ""))} {item?.unit ?? ""}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
