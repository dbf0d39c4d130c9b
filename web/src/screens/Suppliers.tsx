// Suppliers (admins and managers only: prices are commercial information): create and edit them, see what
// each sells in which pack at which price, and every price a supplier item has had.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, etagOf, idempotencyKey, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { CsvDownload } from "../components/CsvDownload";
import { Button, Checkbox, ErrorMessage, Field, Loading, Screen } from "../components/ui";
import { money, when } from "../lib/format";
import { packLabel } from "../lib/ordering";
import { formOf } from "../lib/forms";
import { formErrors } from "../lib/problems";

type Supplier = components["schemas"]["Supplier"];
type SupplierItem = components["schemas"]["SupplierItem"];

export default function Suppliers() {
  const [editing, setEditing] = useState<Supplier | "new" | null>(null);
  const [open, setOpen] = useState<Supplier | null>(null);
  const suppliers = useQuery({
    queryKey: ["suppliers"],
    queryFn: async () => unwrap(await api.GET("/v1/suppliers", { params: { query: { limit: 200 } } })),
  });
  if (editing) {
    return (
      <SupplierForm supplier={editing === "new" ? null : editing} onDone={() => {
          setEditing(null);
          setOpen(null); // back to the list, which shows the supplier as saved
        }}
      />
    );
  }
  if (open) return <SupplierItems supplier={open} onBack={() => setOpen(null)} onEdit={() => setEditing(open)} />;
  return (
    <Screen
      title="Suppliers"
      actions={
        <div className="flex flex-wrap gap-2">
          <CsvDownload path="/v1/suppliers" what="suppliers" />
          <Button onClick={() => setEditing("new")}>New supplier</Button>
        </div>
      }
    >
      {suppliers.isError && <ErrorMessage errors={formErrors(suppliers.error)} />}
      {suppliers.isPending ? (
        <Loading what="suppliers" />
      ) : suppliers.data?.data.length === 0 ? (
        <p>No suppliers yet.</p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Suppliers">
          {suppliers.data?.data.map((supplier) => (
            <li key={supplier.id} className="flex items-center justify-between gap-3 px-3 py-2">
              <div className="min-w-0">
                <p className="font-medium break-words">
                  {supplier.name}
                  {!supplier.active && <span className="ml-2 text-sm text-stone-500">(inactive)</span>}
                </p>
                <p className="text-sm break-words text-stone-600">
                  {[supplier.contact_email, supplier.phone, `${supplier.lead_time_days} day lead time`].filter(Boolean).join(" · ")}
                </p>
              </div>
              <Button kind="secondary" onClick={() => setOpen(supplier)}>
                Prices<span className="sr-only"> of {supplier.name}</span>
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

function SupplierItems(props: { supplier: Supplier; onBack: () => void; onEdit: () => void }) {
  const { supplier } = props;
  const [history, setHistory] = useState<string | null>(null);
  const [pricing, setPricing] = useState<string | null>(null);
  const items = useQuery({
    queryKey: ["suppliers", supplier.id, "items"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/suppliers/{id}/items", { params: { path: { id: supplier.id }, query: { limit: 200 } } })),
  });
  return (
    <Screen
      title={supplier.name}
      actions={
        <div className="flex flex-wrap gap-2">
          <CsvDownload path="/v1/suppliers/{id}/items" what={`${supplier.name}'s prices`} pathParams={{ id: supplier.id }} />
          <Button kind="secondary" onClick={props.onEdit}>
            Edit supplier
          </Button>
          <Button kind="secondary" onClick={props.onBack}>
            Back
          </Button>
        </div>
      }
    >
      {items.isError && <ErrorMessage errors={formErrors(items.error)} />}
      {items.isPending ? (
        <Loading what="what this supplier sells" />
      ) : items.data?.data.length === 0 ? (
        <p>This supplier sells nothing in the catalogue yet.</p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Supplier items">
          {items.data?.data.map((item) => (
            <li key={item.id} className="space-y-2 px-3 py-2" data-item={item.item_number}>
              <SupplierItemRow item={item} />
              <div className="flex flex-wrap gap-2">
                <Button kind="secondary" onClick={() => setHistory(history === item.id ? null : item.id)}>
                  {history === item.id ? "Hide history" : "Price history"}
                  <span className="sr-only"> of {item.item_name}</span>
                </Button>
                <Button kind="secondary" onClick={() => setPricing(pricing === item.id ? null : item.id)}>
                  Change price<span className="sr-only"> of {item.item_name}</span>
                </Button>
              </div>
              {pricing === item.id && <PriceForm key={item.updated_at} item={item} onDone={() => setPricing(null)} />}
              {history === item.id && <PriceHistory item={item} />}
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

function SupplierItemRow({ item }: { item: SupplierItem }) {
  const per = item.pack_name ?? item.unit;
  return (
    <div className="flex items-start justify-between gap-3">
      <div className="min-w-0">
        <p className="font-medium break-words">
          {item.item_name}
          {item.preferred && <span className="ml-2 text-sm font-normal text-emerald-800">preferred</span>}
          {!item.active && <span className="ml-2 text-sm font-normal text-stone-500">(inactive)</span>}
        </p>
        <p className="text-sm text-stone-600">
          {item.item_number} · {packLabel(item.pack_name, item.pack_qty, item.unit)}
          {item.sku && ` · SKU ${item.sku}`}
        </p>
      </div>
      <p className="shrink-0 text-right tabular-nums" data-price>
        {money(item.price)}
        <span className="block text-sm text-stone-600">per {per}</span>
      </p>
    </div>
  );
}

/** A new price (the history grows) and whether this is the item's preferred supplier item. */
function PriceForm({ item, onDone }: { item: SupplierItem; onDone: () => void }) {
  const queries = useQueryClient();
  const [price, setPrice] = useState(item.price);
  const [preferred, setPreferred] = useState(item.preferred);
  const save = useMutation({
    mutationFn: async () => {
      // Change the version read just now: a change made meanwhile (a receipt's invoice price) is a 412.
      const etag = etagOf(await api.GET("/v1/supplier-items/{id}", { params: { path: { id: item.id } } }));
      return unwrap(
        await api.PATCH("/v1/supplier-items/{id}", {
          params: { path: { id: item.id }, header: { "If-Match": etag } },
          body: { price: price.trim(), preferred },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["suppliers", item.supplier_id, "items"] });
      await queries.invalidateQueries({ queryKey: ["supplier-items", item.id] });
      await queries.invalidateQueries({ queryKey: ["suggested-order"] });
      onDone();
    },
  });
  const { errors, submit } = formOf(save);
  return (
    <form onSubmit={submit} className="space-y-2" noValidate aria-label={`Price of ${item.item_name}`}>
      <ErrorMessage errors={errors} />
      <Field
        label={`Price per ${item.pack_name ?? item.unit}`}
        inputMode="decimal"
        value={price}
        onChange={setPrice}
        error={errors?.fields.price}
      />
      <Checkbox label="Preferred supplier for this item" checked={preferred} onChange={setPreferred} />
      {errors?.fields.preferred && <p className="text-sm text-red-800">{errors.fields.preferred}</p>}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          Save price
        </Button>
        <Button kind="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function PriceHistory({ item }: { item: SupplierItem }) {
  const prices = useQuery({
    queryKey: ["supplier-items", item.id, "prices"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/supplier-items/{id}/prices", { params: { path: { id: item.id }, query: { limit: 50 } } })),
  });
  if (prices.isError) return <ErrorMessage errors={formErrors(prices.error)} />;
  if (prices.isPending) return <Loading what="prices" />;
  return (
    <ol className="space-y-1 rounded-md bg-stone-50 px-3 py-2 text-sm" aria-label={`Price history of ${item.item_name}`}>
      {prices.data.data.map((price) => (
        <li key={price.valid_from} className="flex justify-between gap-3">
          <span>from {when(price.valid_from)}</span>
          <span className="tabular-nums">{money(price.price)}</span>
        </li>
      ))}
    </ol>
  );
}

function SupplierForm({ supplier, onDone }: { supplier: Supplier | null; onDone: () => void }) {
  const queries = useQueryClient();
  const [form, setForm] = useState({
    name: supplier?.name ?? "",
    contact_email: supplier?.contact_email ?? "",
    phone: supplier?.phone ?? "",
    lead_time_days: String(supplier?.lead_time_days ?? 1),
    notes: supplier?.notes ?? "",
    active: supplier?.active ?? true,
  });
  const [key] = useState(idempotencyKey);
  const set = (name: keyof typeof form) => (value: string | boolean) => setForm((f) => ({ ...f, [name]: value }));
  const save = useMutation({
    mutationFn: async () => {
      const body = {
        name: form.name.trim(),
        contact_email: form.contact_email.trim() || null,
        phone: form.phone.trim() || null,
        // Sent as typed when it is not a whole number, so the API's words say what is wrong with it.
        lead_time_days: (/^\d+$/.test(form.lead_time_days.trim()) ? Number(form.lead_time_days) : form.lead_time_days) as number,
        notes: form.notes.trim() || null,
      };
      if (!supplier) {
        return unwrap(await api.POST("/v1/suppliers", { params: { header: { "Idempotency-Key": key } }, body }));
      }
      // Edit the version read just now: a change made meanwhile by someone else is a 412, not overwritten.
      const etag = etagOf(await api.GET("/v1/suppliers/{id}", { params: { path: { id: supplier.id } } }));
      return unwrap(
        await api.PATCH("/v1/suppliers/{id}", {
          params: { path: { id: supplier.id }, header: { "If-Match": etag } },
          body: { ...body, active: form.active },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["suppliers"] });
      onDone();
    },
  });
  const { errors, submit } = formOf(save);
  return (
    <Screen title={supplier ? `Edit ${supplier.name}` : "New supplier"}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorMessage errors={errors} />
        <Field label="Name" value={form.name} onChange={set("name")} error={errors?.fields.name} />
        <Field label="Contact email" type="email" inputMode="email" value={form.contact_email} onChange={set("contact_email")} error={errors?.fields.contact_email} />
        <Field label="Phone" type="tel" value={form.phone} onChange={set("phone")} error={errors?.fields.phone} />
        <Field label="Lead time (days)" inputMode="decimal" value={form.lead_time_days} onChange={set("lead_time_days")} error={errors?.fields.lead_time_days} />
        <Field label="Notes" value={form.notes} onChange={set("notes")} error={errors?.fields.notes} />
        {supplier && <Checkbox label="Active" checked={form.active} onChange={set("active")} />}
        <div className="flex gap-2">
          <Button type="submit" disabled={save.isPending}>
            Save
          </Button>
          <Button kind="secondary" onClick={onDone}>
            Cancel
          </Button>
        </div>
      </form>
    </Screen>
  );
}
