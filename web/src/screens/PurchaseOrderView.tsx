// One purchase order: a draft's lines can be changed (quantity, price; 0 removes a line) and submitted; an
// order not yet received can be canceled; the rest is read only.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { useItems } from "../api/queries";
import type { components } from "../api/schema";
import { Button, ErrorMessage, Field, Loading, Notice, Screen } from "../components/ui";
import { money, qty } from "../lib/format";
import { lineCost, packLabel, scaled, totalCost } from "../lib/ordering";
import { formErrors } from "../lib/problems";

type PurchaseOrder = components["schemas"]["PurchaseOrder"];
type Line = PurchaseOrder["lines"][number];

export function PurchaseOrderView({ id, onBack }: { id: string; onBack: () => void }) {
  const [done, setDone] = useState<string | null>(null); // outlives the form, which starts again on each version
  const order = useQuery({
    queryKey: ["purchase-orders", id],
    queryFn: async () => unwrap(await api.GET("/v1/purchase-orders/{id}", { params: { path: { id } } })),
  });
  if (order.isError) return <ErrorMessage errors={formErrors(order.error)} />;
  if (!order.data) return <Loading what="the purchase order" />;
  // Keyed by version, so a saved or submitted order starts its form again from what the server holds.
  return <OrderForm key={order.data.updated_at} order={order.data} onBack={onBack} done={done} setDone={setDone} />;
}

function OrderForm(props: { order: PurchaseOrder; onBack: () => void; done: string | null; setDone: (text: string | null) => void }) {
  const { order, onBack, done, setDone } = props;
  const items = useItems();
  const queries = useQueryClient();
  const names = new Map((items.data ?? []).map((item) => [item.id, item]));
  const draft = order.status === "draft";
  const [quantities, setQuantities] = useState(() => Object.fromEntries(order.lines.map((l) => [l.id, qty(l.req_qty)])));
  const [prices, setPrices] = useState(() => Object.fromEntries(order.lines.map((l) => [l.id, l.unit_price ?? ""])));
  const kept = order.lines.filter((line) => scaled(quantities[line.id] ?? "", 3) !== 0n);
  const dirty = order.lines.some(
    (line) => (quantities[line.id] ?? "").trim() !== qty(line.req_qty) || (prices[line.id] ?? "").trim() !== (line.unit_price ?? ""),
  );

  const save = async () =>
    unwrap(
      await api.PATCH("/v1/purchase-orders/{id}", {
        params: { path: { id: order.id } },
        body: {
          lines: kept.map((line) => ({
            item_id: line.item_id,
            pack_id: line.pack_id,
            req_qty: (quantities[line.id] ?? "").trim(),
            unit_price: (prices[line.id] ?? "").trim(),
            note: line.note,
          })),
        },
      }),
    );
  const act = useMutation({
    mutationFn: async (action: "save" | "submit" | "cancel") => {
      setDone(null);
      if (action === "cancel") return unwrap(await api.POST("/v1/purchase-orders/{id}/cancel", { params: { path: { id: order.id } } }));
      if (dirty) await save();
      if (action === "save") return null;
      return unwrap(await api.POST("/v1/purchase-orders/{id}/submit", { params: { path: { id: order.id } } }));
    },
    onSuccess: async (_, action) => {
      setDone({ save: "Changes saved.", submit: `${order.po_number} is submitted.`, cancel: `${order.po_number} is canceled.` }[action]);
      await queries.invalidateQueries({ queryKey: ["purchase-orders"] });
      await queries.invalidateQueries({ queryKey: ["suggested-order"] });
    },
  });
  const errors = act.isError ? formErrors(act.error) : null;
  const lineError = (line: Line, field: "req_qty" | "unit_price") => {
    const index = kept.findIndex((l) => l.id === line.id);
    return index < 0 ? undefined : (errors?.fields[`lines[${index}].${field}`] ?? (field === "req_qty" ? errors?.fields[`lines[${index}]`] : undefined));
  };
  const total = draft
    ? totalCost(kept.map((line) => ({ quantity: quantities[line.id] ?? "", price: (prices[line.id] ?? "").trim() || null })))
    : order.total_cost;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    act.mutate("submit");
  };

  return (
    <Screen title={order.po_number} actions={<Button kind="secondary" onClick={onBack}>Back</Button>}>
      <p className="text-stone-700">
        {order.supplier} · <span data-status={order.status}>{order.status}</span>
      </p>
      {done && <Notice>{done}</Notice>}
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorMessage errors={errors} />
        <ul className="space-y-3" aria-label="Order lines">
          {order.lines.map((line) => {
            const item = names.get(line.item_id);
            const name = item?.name ?? "Item";
            const unit = packLabel(line.pack_name, line.pack_qty, item?.unit ?? "units");
            const cost = lineCost(draft ? (quantities[line.id] ?? "") : line.req_qty, draft ? (prices[line.id] ?? "").trim() || null : line.unit_price);
            return (
              <li key={line.id} className="rounded-md border border-stone-300 bg-white p-3">
                <p className="font-medium break-words">{name}</p>
                {draft ? (
                  <div className="mt-1 grid grid-cols-2 gap-3">
                    <Field
                      label={`${name} (${unit})`}
                      inputMode="decimal"
                      value={quantities[line.id] ?? ""}
                      onChange={(value) => setQuantities((current) => ({ ...current, [line.id]: value }))}
                      error={lineError(line, "req_qty")}
                    />
                    <Field
                      label={`Price per ${line.pack_name ?? item?.unit ?? "unit"}`}
                      inputMode="decimal"
                      value={prices[line.id] ?? ""}
                      onChange={(value) => setPrices((current) => ({ ...current, [line.id]: value }))}
                      error={lineError(line, "unit_price")}
                    />
                  </div>
                ) : (
                  <p className="text-sm text-stone-700">
                    {qty(line.req_qty)} × {unit}
                    {line.unit_price && ` at ${money(line.unit_price)}`} · received {qty(line.received_qty)}
                    {line.received_price && ` at ${money(line.received_price)}`}
                  </p>
                )}
                <p className="mt-1 text-right tabular-nums">{cost === null ? "–" : money(cost)}</p>
              </li>
            );
          })}
        </ul>
        <p className="font-semibold tabular-nums">Total {total === null ? "–" : money(total)}</p>
        <div className="flex flex-wrap gap-2">
          {draft && (
            <>
              <Button type="submit" disabled={act.isPending || kept.length === 0}>
                Submit
              </Button>
              <Button kind="secondary" disabled={act.isPending || !dirty} onClick={() => act.mutate("save")}>
                Save changes
              </Button>
            </>
          )}
          {(draft || order.status === "submitted") && (
            <Button kind="secondary" disabled={act.isPending} onClick={() => act.mutate("cancel")}>
              Cancel order
            </Button>
          )}
        </div>
      </form>
    </Screen>
  );
}
