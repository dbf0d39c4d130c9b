// The item catalogue: everyone reads it; managers create and edit.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import { categoriesOf, useItems, type Item } from "../api/queries";
import { CsvDownload } from "../components/CsvDownload";
import { ItemPacks } from "../components/ItemPacks";
import { Button, Checkbox, ErrorMessage, Field, Loading, Screen, SelectField } from "../components/ui";
import { money, qty } from "../lib/format";
import { managesCatalog, type Role } from "../lib/nav";
import { formErrors } from "../lib/problems";

export default function Items({ role }: { role: Role }) {
  const items = useItems();
  const [search, setSearch] = useState("");
  const [category, setCategory] = useState("");
  const [editing, setEditing] = useState<Item | "new" | null>(null);
  const [packsOf, setPacksOf] = useState<Item | null>(null);
  const manager = managesCatalog(role);

  if (editing) return <ItemForm item={editing === "new" ? null : editing} onDone={() => setEditing(null)} />;
  if (packsOf) return <ItemPacks item={packsOf} manager={manager} onBack={() => setPacksOf(null)} />;
  const needle = search.trim().toLowerCase();
  const shown = (items.data ?? []).filter(
    (item) =>
      (!category || item.category === category) &&
      (!needle || item.name.toLowerCase().includes(needle) || item.item_number.toLowerCase().startsWith(needle)),
  );
  return (
    <Screen
      title="Items"
      actions={
        <span className="flex flex-wrap gap-2">
          <CsvDownload path="/v1/items" what="items" query={{ category: category || undefined, q: needle || undefined }} />
          {manager && <Button onClick={() => setEditing("new")}>New item</Button>}
        </span>
      }
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Search" inputMode="search" value={search} onChange={setSearch} />
        <SelectField
          label="Category"
          value={category}
          onChange={setCategory}
          options={[{ value: "", label: "All categories" }, ...categoriesOf(items.data).map((c) => ({ value: c, label: c }))]}
        />
      </div>
      {items.isError && <ErrorMessage errors={formErrors(items.error)} />}
      {items.isPending ? (
        <Loading what="items" />
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Items">
          {shown.map((item) => (
            <li key={item.id} className="flex items-center justify-between gap-3 px-3 py-2">
              <div className="min-w-0">
                <p className="font-medium break-words">
                  {item.name}
                  {!item.active && <span className="ml-2 text-sm text-stone-500">(inactive)</span>}
                </p>
                <p className="text-sm text-stone-600">
                  {item.item_number} · {item.category ?? "no category"} · par {qty(item.min_qty)}–{qty(item.max_qty)}{" "}
                  {item.unit}
                  {item.unit_cost !== null && ` · ${money(item.unit_cost)}/${item.unit}`}
                </p>
              </div>
              <span className="flex shrink-0 flex-wrap justify-end gap-2">
                <Button kind="secondary" onClick={() => setPacksOf(item)}>
                  Packs<span className="sr-only"> of {item.name}</span>
                </Button>
                {manager && (
                  <Button kind="secondary" onClick={() => setEditing(item)}>
                    Edit<span className="sr-only"> {item.name}</span>
                  </Button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

function ItemForm({ item, onDone }: { item: Item | null; onDone: () => void }) {
  const queries = useQueryClient();
  const [form, setForm] = useState({
    item_number: item?.item_number ?? "",
    name: item?.name ?? "",
    unit: item?.unit ?? "",
    category: item?.category ?? "",
    min_qty: item ? qty(item.min_qty) : "0",
    max_qty: item ? qty(item.max_qty) : "0",
    unit_cost: item?.unit_cost ?? "",
    storage_zone: item?.storage_zone ?? "",
    active: item?.active ?? true,
  });
  const [key] = useState(idempotencyKey);
  const set = (name: keyof typeof form) => (value: string | boolean) => setForm((f) => ({ ...f, [name]: value }));
  const save = useMutation({
    mutationFn: async () => {
      const body = {
        item_number: form.item_number.trim(),
        name: form.name.trim(),
        unit: form.unit.trim(),
        category: form.category.trim() || null,
        min_qty: form.min_qty.trim(),
        max_qty: form.max_qty.trim(),
        unit_cost: form.unit_cost.trim() || null,
        storage_zone: (form.storage_zone || null) as Item["storage_zone"],
      };
      if (!item) {
        return unwrap(await api.POST("/v1/items", { params: { header: { "Idempotency-Key": key } }, body }));
      }
      // Edit the version read just now: a change made meanwhile by someone else is a 412, not overwritten.
      const current = await api.GET("/v1/items/{id}", { params: { path: { id: item.id } } });
      unwrap(current);
      const etag = current.response.headers.get("ETag") ?? undefined;
      return unwrap(
        await api.PATCH("/v1/items/{id}", {
          params: { path: { id: item.id }, header: { "If-Match": etag } },
          body: { ...body, active: form.active },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["items"] });
      onDone();
    },
  });
  const errors = save.isError ? formErrors(save.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Screen title={item ? `Edit ${item.name}` : "New item"}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorMessage errors={errors} />
        <Field label="Item number" value={form.item_number} onChange={set("item_number")} error={errors?.fields.item_number} />
        <Field label="Name" value={form.name} onChange={set("name")} error={errors?.fields.name} />
        <Field label="Unit" value={form.unit} onChange={set("unit")} error={errors?.fields.unit} />
        <Field label="Category" value={form.category} onChange={set("category")} error={errors?.fields.category} />
        <Field label="Minimum (par)" inputMode="decimal" value={form.min_qty} onChange={set("min_qty")} error={errors?.fields.min_qty} />
        <Field label="Maximum" inputMode="decimal" value={form.max_qty} onChange={set("max_qty")} error={errors?.fields.max_qty} />
        <Field label="Unit cost" inputMode="decimal" value={form.unit_cost} onChange={set("unit_cost")} error={errors?.fields.unit_cost} />
        <SelectField
          label="Kept in"
          value={form.storage_zone}
          onChange={set("storage_zone")}
          options={[
            { value: "", label: "Anywhere" },
            { value: "dry", label: "Dry store" },
            { value: "cooler", label: "Cooler" },
            { value: "freezer", label: "Freezer" },
          ]}
          error={errors?.fields.storage_zone}
        />
        {item && <Checkbox label="Active" checked={form.active} onChange={set("active")} />}
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
