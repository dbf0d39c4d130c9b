// Receive a submitted purchase order into a location: each line defaults to what is still to come.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import { useItems, useLocations } from "../api/queries";
import type { components } from "../api/schema";
import { Button, ErrorMessage, Field, Loading, Notice, Screen, SelectField } from "../components/ui";
import { money, qty } from "../lib/format";
import { formErrors } from "../lib/problems";

type PurchaseOrder = components["schemas"]["PurchaseOrder"];

export default function Receive() {
  const [poId, setPoId] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
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
        onDone={(text) => {
          setDone(text);
          setPoId(null);
        }}
      />
    );
  }
  return (
    <Screen title="Receive">
      {done && <Notice>{done}</Notice>}
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

function ReceiveOrder({ id, onBack, onDone }: { id: string; onBack: () => void; onDone: (text: string) => void }) {
  const order = useQuery({
    queryKey: ["purchase-orders", id],
    queryFn: async () => unwrap(await api.GET("/v1/purchase-orders/{id}", { params: { path: { id } } })),
  });
  if (order.isError) return <ErrorMessage errors={formErrors(order.error)} />;
  if (!order.data) return <Loading what="the purchase order" />;
  return <ReceiveForm order={order.data} onBack={onBack} onDone={onDone} />;
}

function ReceiveForm(props: { order: PurchaseOrder; onBack: () => void; onDone: (text: string) => void }) {
  const { order } = props;
  const items = useItems();
  const locations = useLocations();
  const queries = useQueryClient();
  const open = order.lines.filter((line) => Number(line.remaining_qty) > 0);
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(open.map((line) => [line.id, qty(line.remaining_qty)])),
  );
  const [locationId, setLocationId] = useState("");
  const key = useMemo(idempotencyKey, []); // one receipt, however often the button is pressed
  const names = new Map((items.data ?? []).map((item) => [item.id, item]));
  const active = (locations.data ?? []).filter((l) => l.active);
  const sent = open.filter((line) => (quantities[line.id] ?? "").trim() !== "" && Number(quantities[line.id]) !== 0);

  const receive = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/purchase-orders/{id}/receive", {
          params: { path: { id: order.id }, header: { "Idempotency-Key": key } },
          body: {
            location_id: locationId || active[0]?.id || "",
            lines: sent.map((line) => ({ line_id: line.id, qty: quantities[line.id].trim(), unit_price: null })),
          },
        }),
      ),
    onSuccess: async (updated) => {
      await queries.invalidateQueries({ queryKey: ["purchase-orders"] });
      await queries.invalidateQueries({ queryKey: ["stock"] });
      const where = active.find((l) => l.id === (locationId || active[0]?.id))?.name ?? "stock";
      props.onDone(
        updated.status === "received"
          ? `${order.po_number} is fully received into ${where}.`
          : `Received part of ${order.po_number} into ${where}; the rest stays open.`,
      );
    },
  });
  const errors = receive.isError ? formErrors(receive.error) : null;
  // The API names a line by its place in the body sent: $.lines[1].qty is the second line with a quantity.
  const lineError = (lineId: string) => {
    const index = sent.findIndex((line) => line.id === lineId);
    return index < 0 ? undefined : (errors?.fields[`lines[${index}].qty`] ?? errors?.fields[`lines[${index}]`]);
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
          const label = item ? `${item.name} (${item.unit})` : "Item";
          return (
            <div key={line.id} className="rounded-md border border-stone-300 bg-white p-3">
              <Field
                label={label}
                inputMode="decimal"
                value={quantities[line.id] ?? ""}
                onChange={(value) => setQuantities((current) => ({ ...current, [line.id]: value }))}
                error={lineError(line.id)}
              />
              <p className="mt-1 text-sm text-stone-600">
                Ordered {qty(line.req_qty)}, received {qty(line.received_qty)}, still to come {qty(line.remaining_qty)}
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
