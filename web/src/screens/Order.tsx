// Order to par: the suggested order per supplier, a draft per supplier from it, and the orders so far.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import { CsvDownload } from "../components/CsvDownload";
import { Button, ErrorMessage, Field, Loading, Screen } from "../components/ui";
import { money, qty } from "../lib/format";
import { groupBySupplier, lineCost, packLabel, totalCost, type SupplierGroup } from "../lib/ordering";
import { formErrors } from "../lib/problems";
import { PurchaseOrderView } from "./PurchaseOrderView";

const STATUS: Record<string, string> = { draft: "Draft", submitted: "Submitted", received: "Received", canceled: "Canceled" };

export default function Order() {
  const [poId, setPoId] = useState<string | null>(null);
  if (poId) return <PurchaseOrderView id={poId} onBack={() => setPoId(null)} />;
  return (
    <Screen title="Order" actions={<CsvDownload path="/v1/reports/suggested-order" what="the suggested order" />}>
      <Suggestion onDraft={setPoId} />
      <OrderList onOpen={setPoId} />
    </Screen>
  );
}

function Suggestion({ onDraft }: { onDraft: (id: string) => void }) {
  const suggestion = useQuery({
    queryKey: ["suggested-order"],
    queryFn: async () => unwrap(await api.GET("/v1/reports/suggested-order")),
  });
  if (suggestion.isError) return <ErrorMessage errors={formErrors(suggestion.error)} />;
  if (suggestion.isPending) return <Loading what="the suggested order" />;
  const groups = groupBySupplier(suggestion.data.data);
  if (groups.length === 0) return <p>Everything is at par or already on order: nothing to order.</p>;
  return (
    <div className="space-y-4">
      <p className="text-stone-700">To bring stock back to par, in whole packs, minus what is already on its way:</p>
      {groups.map((group) => (
        <SupplierSuggestion key={group.supplierId ?? "none"} group={group} onDraft={onDraft} />
      ))}
    </div>
  );
}

function SupplierSuggestion({ group, onDraft }: { group: SupplierGroup; onDraft: (id: string) => void }) {
  const queries = useQueryClient();
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(group.rows.map((row) => [row.item_id, qty(row.order_qty)])),
  );
  const [key] = useState(idempotencyKey); // one draft, however often the button is pressed
  const changed = group.rows.some((row) => (quantities[row.item_id] ?? "").trim() !== qty(row.order_qty));
  const kept = group.rows.filter((row) => !/^\s*0*(\.0*)?\s*$/.test(quantities[row.item_id] ?? ""));
  const create = useMutation({
    mutationFn: async () => {
      const supplier_id = group.supplierId ?? "";
      const header = { "Idempotency-Key": key };
      if (!changed) {
        return unwrap(await api.POST("/v1/purchase-orders/from-suggestion", { params: { header }, body: { supplier_id, notes: null } }));
      }
      // Quantities changed here: the draft holds what the screen shows, through the same create route.
      const lines = kept.map((row) => ({
        item_id: row.item_id,
        pack_id: row.pack_id,
        req_qty: quantities[row.item_id].trim(),
        unit_price: row.unit_price ?? "0",
        note: null,
      }));
      return unwrap(
        await api.POST("/v1/purchase-orders", { params: { header }, body: { supplier: null, supplier_id, po_number: null, notes: null, lines } }),
      );
    },
    onSuccess: async (po) => {
      await queries.invalidateQueries({ queryKey: ["purchase-orders"] });
      onDraft(po.id);
    },
  });
  const errors = create.isError ? formErrors(create.error) : null;
  // Adjusted drafts name a line by its place among the rows sent ($.lines[1].req_qty).
  const rowError = (itemId: string) => {
    const index = kept.findIndex((row) => row.item_id === itemId);
    return index < 0 ? undefined : (errors?.fields[`lines[${index}].req_qty`] ?? errors?.fields[`lines[${index}]`]);
  };
  const total = totalCost(group.rows.map((row) => ({ quantity: quantities[row.item_id] ?? "", price: row.unit_price })));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const supplied = group.supplierId !== null;
  return (
    <form
      onSubmit={submit}
      className="space-y-3 rounded-md border border-stone-300 bg-white p-3"
      aria-label={`Suggested order from ${group.supplierName}`}
    >
      <h2 className="text-lg font-semibold break-words">{group.supplierName}</h2>
      {!supplied && <p className="text-sm text-stone-600">No active supplier sells these as preferred: order them by hand.</p>}
      <ErrorMessage errors={errors && (errors.fields.supplier_id ? { ...errors, message: errors.fields.supplier_id } : errors)} />
      <ul className="space-y-3">
        {group.rows.map((row) => {
          const unit = packLabel(row.pack_name, row.pack_qty, row.unit);
          const cost = lineCost(quantities[row.item_id] ?? "", row.unit_price);
          return (
            <li key={row.item_id} className="border-t border-stone-200 pt-2 first:border-t-0 first:pt-0" data-item={row.item_number}>
              <p className="font-medium break-words">{row.item_name}</p>
              <p className="text-sm text-stone-600">
                On hand {qty(row.on_hand)} {row.unit}
                {Number(row.on_order) > 0 && `, ${qty(row.on_order)} on order`} · par {qty(row.min_qty)}–{qty(row.max_qty)}{" "}
                {row.unit}
              </p>
              {supplied ? (
                <div className="mt-1 grid grid-cols-[1fr_auto] items-end gap-3">
                  <Field
                    label={`${row.item_name} (${unit})`}
                    inputMode="decimal"
                    value={quantities[row.item_id] ?? ""}
                    onChange={(value) => setQuantities((current) => ({ ...current, [row.item_id]: value }))}
                    error={rowError(row.item_id)}
                  />
                  <p className="pb-2 text-right tabular-nums">
                    {row.unit_price && <span className="block text-sm text-stone-600">at {money(row.unit_price)}</span>}
                    <span data-cost>{cost === null ? "–" : money(cost)}</span>
                  </p>
                </div>
              ) : (
                <p className="text-sm">Suggested: {qty(row.order_qty)} {row.unit}</p>
              )}
            </li>
          );
        })}
      </ul>
      {supplied && (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="font-semibold tabular-nums">Total {total === null ? "–" : money(total)}</p>
          <Button type="submit" disabled={create.isPending || kept.length === 0}>
            {create.isPending ? "Creating…" : "Create draft"}
            <span className="sr-only"> for {group.supplierName}</span>
          </Button>
        </div>
      )}
    </form>
  );
}

function OrderList({ onOpen }: { onOpen: (id: string) => void }) {
  const orders = useQuery({
    queryKey: ["purchase-orders", "recent"],
    queryFn: async () => unwrap(await api.GET("/v1/purchase-orders", { params: { query: { limit: 50 } } })),
  });
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-semibold">Purchase orders</h2>
        <CsvDownload path="/v1/purchase-orders" what="purchase orders" />
      </div>
      {orders.isError && <ErrorMessage errors={formErrors(orders.error)} />}
      {orders.isPending ? (
        <Loading what="purchase orders" />
      ) : orders.data?.data.length === 0 ? (
        <p>No purchase orders yet.</p>
      ) : (
        <ul className="space-y-2" aria-label="Purchase orders">
          {orders.data?.data.map((po) => (
            <li key={po.id}>
              <button
                type="button"
                onClick={() => onOpen(po.id)}
                className="flex min-h-11 w-full items-center justify-between gap-3 rounded-md border border-stone-300 bg-white px-3 py-3 text-left hover:bg-stone-100"
              >
                <span className="min-w-0">
                  <span className="block font-medium">{po.po_number}</span>
                  <span className="block text-sm break-words text-stone-600">{po.supplier}</span>
                </span>
                <span className="shrink-0 text-right">
                  <span className="block text-sm font-medium" data-status={po.status}>
                    {STATUS[po.status] ?? po.status}
                  </span>
                  <span className="block tabular-nums">{money(po.total_cost)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
