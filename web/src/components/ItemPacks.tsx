// One item's packs (CONTRACT §11): everyone sees them; managers and admins add one or change one. A pack's
// size is in the item's stock unit ("case of 6 kg"), which is what counts and orders multiply by.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, etagOf, idempotencyKey, unwrap } from "../api/client";
import type { Item } from "../api/queries";
import type { components } from "../api/schema";
import { formOf } from "../lib/forms";
import { qty } from "../lib/format";
import { packLabel } from "../lib/ordering";
import { ApiError, formErrors } from "../lib/problems";
import { Button, Checkbox, ErrorMessage, Field, Loading, Screen } from "./ui";

type Pack = components["schemas"]["Pack"];

export function ItemPacks(props: { item: Item; manager: boolean; onBack: () => void }) {
  const { item, manager } = props;
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const packs = useQuery({
    queryKey: ["items", item.id, "packs"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/items/{id}/packs", { params: { path: { id: item.id }, query: { limit: 200 } } })),
  });
  const list = packs.data?.data ?? [];
  return (
    <Screen
      title={`Packs of ${item.name}`}
      actions={
        <div className="flex flex-wrap gap-2">
          {manager && editing !== "new" && <Button onClick={() => setEditing("new")}>Add a pack</Button>}
          <Button kind="secondary" onClick={props.onBack}>
            Back
          </Button>
        </div>
      }
    >
      <p className="text-stone-600">
        Sizes are in the stock unit, {item.unit}: counts and orders in a pack are multiplied by its size.
      </p>
      {editing === "new" && <PackForm item={item} pack={null} onDone={() => setEditing(null)} />}
      {packs.isError && <ErrorMessage errors={formErrors(packs.error)} />}
      {packs.isPending ? (
        <Loading what="packs" />
      ) : list.length === 0 ? (
        <p>{item.name} has no packs yet: it is counted and bought in {item.unit}.</p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Packs">
          {list.map((pack) => (
            <li key={pack.id} className="space-y-2 px-3 py-2" data-pack={pack.name}>
              <div className="flex items-center justify-between gap-3">
                <div className="min-w-0">
                  <p className="font-medium break-words">
                    {packLabel(pack.name, pack.qty, item.unit)}
                    {!pack.active && <span className="ml-2 text-sm font-normal text-stone-500">(inactive)</span>}
                  </p>
                  <p className="text-sm text-stone-600">
                    {qty(pack.qty)} {item.unit} each · {pack.active ? "active" : "inactive: not offered when counting"}
                  </p>
                </div>
                {manager && editing !== pack.id && (
                  <Button kind="secondary" onClick={() => setEditing(pack.id)}>
                    Edit<span className="sr-only"> {pack.name}</span>
                  </Button>
                )}
              </div>
              {editing === pack.id && (
                <PackForm key={pack.updated_at} item={item} pack={pack} onDone={() => setEditing(null)} />
              )}
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

/** A new pack (with an Idempotency-Key, so a retried tap adds it once) or a change to one (If-Match). */
function PackForm(props: { item: Item; pack: Pack | null; onDone: () => void }) {
  const { item, pack } = props;
  const queries = useQueryClient();
  const [name, setName] = useState(pack?.name ?? "");
  const [size, setSize] = useState(pack ? qty(pack.qty) : "");
  const [active, setActive] = useState(pack?.active ?? true);
  const [key] = useState(idempotencyKey);
  const save = useMutation({
    mutationFn: async () => {
      const body = { name: name.trim(), qty: size.trim() };
      if (!pack) {
        return unwrap(
          await api.POST("/v1/items/{id}/packs", {
            params: { path: { id: item.id }, header: { "Idempotency-Key": key } },
            body,
          }),
        );
      }
      // Change the version read just now: a change made meanwhile by someone else is a 412, not overwritten.
      const path = { id: item.id, pack_id: pack.id };
      const etag = etagOf(await api.GET("/v1/items/{id}/packs/{pack_id}", { params: { path } }));
      return unwrap(
        await api.PATCH("/v1/items/{id}/packs/{pack_id}", {
          params: { path, header: { "If-Match": etag } },
          body: { ...body, active },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["items", item.id] });
      props.onDone();
    },
  });
  const { errors, submit } = formOf(save);
  // A clashing name is a 409 with no field path: say it on the name, where it is fixed.
  if (errors && save.error instanceof ApiError && save.error.status === 409 && !errors.fields.name) {
    errors.fields.name = `${item.name} already has a pack of that name.`;
  }
  const title = pack ? `Edit pack ${pack.name}` : "New pack";
  return (
    <form onSubmit={submit} className="space-y-3 rounded-md border border-stone-300 bg-white p-3" noValidate aria-label={title}>
      <h2 className="text-lg font-semibold">{title}</h2>
      <ErrorMessage errors={errors} />
      <Field label="Pack name" value={name} onChange={setName} error={errors?.fields.name} />
      <Field label={`Size (${item.unit})`} inputMode="decimal" value={size} onChange={setSize} error={errors?.fields.qty} />
      {pack && <Checkbox label="Active" checked={active} onChange={setActive} />}
      {errors?.fields.active && <p className="text-sm text-red-800">{errors.fields.active}</p>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending}>
          {pack ? "Save pack" : "Add pack"}
        </Button>
        <Button kind="secondary" onClick={props.onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
