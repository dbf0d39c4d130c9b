// Receive a submitted purchase order into a location: each line defaults to what is still to come and to its
// ordered price; the invoice price sent becomes the supplier's price (CONTRACT §12).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import { useItems, useLocations } from "../api/queries";
import type { components } from "../api/schema";
import { Button, ErrorMessage, Field, Loading, Notice, Screen, SelectField } from "../components/ui";
import { money, qty } from "../lib/format";
import { packLabel, receiptLines } from "../lib/ordering";
import { formErrors } from "../lib/problems";

type PurchaseOrder = components["schemas"]["PurchaseOrder"];

interface Received {
  text: string;
  order: PurchaseOrder;
}

export default function Receive() {
  const [poId, setPoId] = useState<string | null>(null);
  const [done, setDone] = useState<Received | null>(null);
  const orders = useQuery({
    queryKey: ["purchase-orders", "submitted"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/purchase-orders", { params: { query: { status: "submitted", limit: 200 } } })),
  });
  if (poId) {
    return (
      <ReceiveOrder
        id={poId}
        onBack={() => setPoId(null)}
        onDone={(received) => {
          setDone(received);
          setPoId(null);
        }}
      />
    );
  }
  return (
    <Screen title="Receive">
      {done && <ReceiptResult received={done} />}
      {orders.isError && <ErrorMessage errors={formErrors(orders.error)} />}
      {orders.isPending ? (
        <Loading what="purchase orders" />
      ) : orders.data?.data.length === 0 ? (
        <p>No submitted purchase orders are waiting to be received.</p>
      ) : (
        <ul className="space-y-2" aria-label="Submitted purchase orders">
          {orders.data?.data.map((po) => (
            <li key={po.id}>
              <button
                type="button"
                onClick={() => {
                  setDone(null);
                  setPoId(po.id);
                }}
                className="flex min-h-11 w-full items-center justify-between gap-3 rounded-md border border-stone-300 bg-white px-3 py-3 text-left hover:bg-stone-100"
              >
                <span>
                  <span className="block font-medium">{po.po_number}</span>
                  <span className="block text-sm text-stone-600">{po.supplier}</span>
                </span>
                <span className="tabular-nums">{money(po.total_cost)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

function ReceiveOrder({ id, onBack, onDone }: { id: string; onBack: () => void; onDone: (received: Received) => void }) {
  const order = useQuery({
    queryKey: ["purchase-orders", id],
    queryFn: async () => unwrap(await api.GET("/v1/purchase-orders/{id}", { params: { path: { id } } })),
  });
  if (order.isError) return <ErrorMessage errors={formErrors(order.error)} />;
  if (!order.data) return <Loading what="the purchase order" />;
  return <ReceiveForm order={order.data} onBack={onBack} onDone={onDone} />;
}

function ReceiveForm(props: { order: PurchaseOrder; onBack: () => void; onDone: (received: Received) => void }) {
  const { order } = props;
  const items = useItems();
  const locations = useLocations();
  const queries = useQueryClient();
  const open = order.lines.filter((line) => Number(line.remaining_qty) > 0);
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(open.map((line) => [line.id, qty(line.remaining_qty)])),
  );
  // The invoice price starts as the ordered one: change it where the invoice says otherwise, blank if it says nothing.
  const [prices, setPrices] = useState<Record<string, string>>(() =>
    Object.fromEntries(open.map((line) => [line.id, line.unit_price ?? ""])),
  );
  const [locationId, setLocationId] = useState("");
  const key = useMemo(idempotencyKey, []); // one receipt, however often the button is pressed
  const names = new Map((items.data ?? []).map((item) => [item.id, item]));
  const active = (locations.data ?? []).filter((l) => l.active);
  const sent = receiptLines(open, quantities, prices);

  const receive = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/purchase-orders/{id}/receive", {
          params: { path: { id: order.id }, header: { "Idempotency-Key": key } },
          body: {
            location_id: locationId || active[0]?.id || "",
            lines: sent,
          },
        }),
      ),
    onSuccess: async (updated) => {
      await queries.invalidateQueries({ queryKey: ["purchase-orders"] });
      await queries.invalidateQueries({ queryKey: ["stock"] });
      const where = active.find((l) => l.id === (locationId || active[0]?.id))?.name ?? "stock";
      props.onDone({
        order: updated,
        text:
          updated.status === "received"
            ? `${order.po_number} is fully received into ${where}.`
            : `Received part of ${order.po_number} into ${where}; the rest stays open.`,
      });
    },
  });
  const errors = receive.isError ? formErrors(receive.error) : null;
  // The API names a line by its place in the body sent: $.lines[1].qty is the second line with a quantity.
  const lineError = (lineId: string, field: "qty" | "unit_price") => {
    const index = sent.findIndex((line) => line.line_id === lineId);
    if (index < 0) return undefined;
    return errors?.fields[`lines[${index}].${field}`] ?? (field === "qty" ? errors?.fields[`lines[${index}]`] : undefined);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    receive.mutate();
  };

  return (
    <Screen title={`Receive ${order.po_number}`} actions={<Button kind="secondary" onClick={props.onBack}>Back</Button>}>
      <p className="text-stone-700">{order.supplier}</p>
      <form onSubmit={submit} className="space-y-4">
        <ErrorMessage errors={errors} />
        <SelectField
          label="Into location"
          value={locationId || active[0]?.id || ""}
          onChange={setLocationId}
          options={active.map((l) => ({ value: l.id, label: `${l.name} (${l.code})` }))}
          error={errors?.fields.location_id}
        />
        {open.map((line) => {
          const item = names.get(line.item_id);
          const unit = packLabel(line.pack_name, line.pack_qty, item?.unit ?? "units");
          const label = `${item?.name ?? "Item"} (${unit})`;
          return (
            <div key={line.id} className="rounded-md border border-stone-300 bg-white p-3">
              <div className="grid grid-cols-2 items-end gap-3">
                <Field
                  label={label}
                  inputMode="decimal"
                  value={quantities[line.id] ?? ""}
                  onChange={(value) => setQuantities((current) => ({ ...current, [line.id]: value }))}
                  error={lineError(line.id, "qty")}
                />
                <Field
                  label={`Invoice price per ${line.pack_name ?? item?.unit ?? "unit"}`}
                  inputMode="decimal"
                  value={prices[line.id] ?? ""}
                  onChange={(value) => setPrices((current) => ({ ...current, [line.id]: value }))}
                  error={lineError(line.id, "unit_price")}
                />
              </div>
              <p className="mt-1 text-sm text-stone-600">
                Ordered {qty(line.req_qty)}
                {line.unit_price && ` at ${money(line.unit_price)}`}, received {qty(line.received_qty)}, still to come{" "}
                {qty(line.remaining_qty)}
              </p>
            </div>
          );
        })}
        <Button type="submit" disabled={receive.isPending || sent.length === 0}>
          {receive.isPending ? "Recording…" : "Record receipt"}
        </Button>
      </form>
    </Screen>
  );
}

/** What the receipt recorded: the notice, and each line's invoice price against the ordered one. */
function ReceiptResult({ received }: { received: Received }) {
  const items = useItems();
  const names = new Map((items.data ?? []).map((item) => [item.id, item.name]));
  const variances = new Map(received.order.price_variances.map((v) => [v.line_id, v]));
  const priced = received.order.lines.filter((line) => line.received_price !== null);
  return (
    <div className="space-y-2">
      <Notice>{received.text}</Notice>
      {priced.length > 0 && (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Invoice prices">
          {priced.map((line) => {
            const variance = variances.get(line.id);
            return (
              <li key={line.id} className="flex justify-between gap-3 px-3 py-2">
                <span className="min-w-0 break-words">{names.get(line.item_id) ?? "Item"}</span>
                <span className="shrink-0 text-right tabular-nums">
                  {money(line.received_price ?? "")} per {line.pack_name ?? "unit"}
                  {variance?.difference && (
                    <span className="block text-sm text-amber-900">
                      {variance.difference.startsWith("-") ? "" : "+"}
                      {money(variance.difference)} on the {money(variance.ordered ?? "")} ordered
                    </span>
                  )}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
