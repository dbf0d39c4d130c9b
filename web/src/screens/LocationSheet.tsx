// A location's count sheet (CONTRACT §14): the items kept there in shelf order. Everyone reads it; managers
// add, remove and reorder with buttons (keyboard and touch alike) and save it whole with one PUT.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, unwrap } from "../api/client";
import { useItems, type Location } from "../api/queries";
import type { components } from "../api/schema";
import { Button, ErrorMessage, Loading, Notice, Screen, SelectField } from "../components/ui";
import { formErrors } from "../lib/problems";
import { append, move, removeAt, sameOrder } from "../lib/sheet";

type SheetItem = components["schemas"]["SheetItem"];

const small =
  "min-h-11 min-w-11 rounded-md border border-stone-400 bg-white px-2 text-base text-stone-900 hover:bg-stone-100 " +
  "disabled:text-stone-300";

export function LocationSheet(props: { location: Location; editable: boolean; onBack: () => void }) {
  const { location } = props;
  const sheet = useQuery({
    queryKey: ["locations", location.id, "sheet"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/locations/{id}/sheet", { params: { path: { id: location.id } } })),
  });
  return (
    <Screen
      title={`Sheet of ${location.name}`}
      actions={
        <Button kind="secondary" onClick={props.onBack}>
          Back
        </Button>
      }
    >
      {sheet.isError && <ErrorMessage errors={formErrors(sheet.error)} />}
      {sheet.data ? (
        <SheetEditor location={location} saved={sheet.data.data} editable={props.editable} />
      ) : (
        !sheet.isError && <Loading what="the sheet" />
      )}
    </Screen>
  );
}

function SheetEditor(props: { location: Location; saved: SheetItem[]; editable: boolean }) {
  const items = useItems();
  const queries = useQueryClient();
  const savedOrder = props.saved.map((row) => row.item_id);
  const [order, setOrder] = useState<string[]>(savedOrder);
  const [adding, setAdding] = useState("");
  const [focus, setFocus] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const names = new Map<string, { name: string; number: string }>(
    props.saved.map((row) => [row.item_id, { name: row.item_name, number: row.item_number }]),
  );
  for (const item of items.data ?? []) names.set(item.id, { name: item.name, number: item.item_number });
  const addable = (items.data ?? []).filter((i) => i.active && !order.includes(i.id)).sort((a, b) => a.name.localeCompare(b.name));

  // A moved item's button keeps the focus, so a keyboard user can press it again to move further.
  useEffect(() => {
    if (!focus) return;
    const [id] = focus.split(":");
    const row = list.current?.querySelector(`[data-row="${id}"]`);
    const wanted = row?.querySelector<HTMLButtonElement>(`[data-focus="${focus}"]`);
    // At either end its own button is disabled: the row's other move button takes the focus.
    (wanted && !wanted.disabled ? wanted : row?.querySelector<HTMLButtonElement>("button:not(:disabled)"))?.focus();
    setFocus(null);
  }, [focus, order]);

  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT("/v1/locations/{id}/sheet", {
          params: { path: { id: props.location.id } },
          body: { items: order },
        }),
      ),
    onSuccess: async (sheet) => {
      queries.setQueryData(["locations", props.location.id, "sheet"], sheet);
      await queries.invalidateQueries({ queryKey: ["count-sessions"] });
    },
  });
  const errors = save.isError ? formErrors(save.error) : null;
  const changed = !sameOrder(order, savedOrder);
  const edit = (next: string[]) => {
    save.reset();
    setOrder(next);
  };

  return (
    <div className="space-y-3">
      {save.isSuccess && !changed && <Notice>The sheet of {props.location.name} is saved.</Notice>}
      <ErrorMessage errors={errors} />
      {order.length === 0 ? (
        <p>No items on this sheet yet.</p>
      ) : (
        <ol ref={list} className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Sheet items">
          {order.map((id, index) => {
            const name = names.get(id)?.name ?? id;
            const error = errors?.fields[`items[${index}]`];
            return (
              <li key={id} data-row={id} className="flex items-center gap-2 px-3 py-2">
                <span className="w-6 shrink-0 text-right text-stone-600 tabular-nums">{index + 1}</span>
                <span className="min-w-0 flex-1 break-words">
                  {name}
                  <span className="block text-sm text-stone-600">{names.get(id)?.number}</span>
                  {error && <span className="block text-sm text-red-800">{error}</span>}
                </span>
                {props.editable && (
                  <span className="flex shrink-0 gap-1">
                    <button
                      type="button"
                      className={small}
                      data-focus={`${id}:up`}
                      disabled={index === 0}
                      aria-label={`Move ${name} up`}
                      onClick={() => {
                        edit(move(order, index, -1));
                        setFocus(`${id}:up`);
                      }}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className={small}
                      data-focus={`${id}:down`}
                      disabled={index === order.length - 1}
                      aria-label={`Move ${name} down`}
                      onClick={() => {
                        edit(move(order, index, 1));
                        setFocus(`${id}:down`);
                      }}
                    >
                      ↓
                    </button>
                    <button type="button" className={small} aria-label={`Remove ${name}`} onClick={() => edit(removeAt(order, index))}>
                      ✕
                    </button>
                  </span>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {props.editable && (
        <>
          <div className="flex items-end gap-2">
            <div className="min-w-0 flex-1">
              <SelectField
                label="Add item"
                value={adding}
                onChange={setAdding}
                options={[{ value: "", label: "Pick an item" }, ...addable.map((i) => ({ value: i.id, label: `${i.name} (${i.item_number})` }))]}
                error={errors?.fields.items}
              />
            </div>
            <Button
              kind="secondary"
              disabled={!adding}
              onClick={() => {
                edit(append(order, adding));
                setAdding("");
              }}
            >
              Add
            </Button>
          </div>
          <div className="flex gap-2">
            <Button disabled={!changed || save.isPending} onClick={() => save.mutate()}>
              {save.isPending ? "Saving…" : "Save sheet"}
            </Button>
            <Button kind="secondary" disabled={!changed || save.isPending} onClick={() => edit(savedOrder)}>
              Undo changes
            </Button>
          </div>
        </>
      )}
    </div>
  );
}
