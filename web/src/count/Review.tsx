// A manager's end of a count session: the variance of what was counted, then post it (or cancel the session).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { useItems } from "../api/queries";
import type { components } from "../api/schema";
import { Button, ErrorMessage, Loading, SelectField } from "../components/ui";
import { money, qty } from "../lib/format";
import { formErrors } from "../lib/problems";

type Session = components["schemas"]["CountSession"];

function signed(value: string): string {
  return value.startsWith("-") ? qty(value) : `+${qty(value)}`;
}

export function Review(props: { session: Session; waiting: number; onDone: (text: string) => void }) {
  const { session } = props;
  const queries = useQueryClient();
  const items = useItems();
  const [uncounted, setUncounted] = useState<"keep" | "zero">("keep");
  const [canceling, setCanceling] = useState(false);
  const variance = useQuery({
    queryKey: ["count-variance", session.id],
    queryFn: async () =>
      unwrap(await api.GET("/v1/count-sessions/{id}/variance", { params: { path: { id: session.id } } })),
  });
  const ended = async () => {
    await queries.invalidateQueries({ queryKey: ["count-sessions"] });
    await queries.invalidateQueries({ queryKey: ["stock"] });
  };
  const post = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/count-sessions/{id}/post", { params: { path: { id: session.id } }, body: { uncounted } }),
      ),
    onSuccess: async (posted) => {
      await ended();
      props.onDone(`The count is posted: ${posted.counts_created} counts recorded.`);
    },
  });
  const cancel = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/v1/count-sessions/{id}/cancel", { params: { path: { id: session.id } } })),
    onSuccess: async () => {
      await ended();
      props.onDone("The count session is canceled; nothing was recorded.");
    },
  });
  const names = new Map((items.data ?? []).map((item) => [item.id, item]));
  const error = post.error ?? cancel.error;

  return (
    <section className="space-y-3" aria-labelledby="review-heading">
      <h2 id="review-heading" className="text-xl font-semibold">
        Review and post
      </h2>
      {variance.isError && <ErrorMessage errors={formErrors(variance.error)} />}
      {variance.isPending ? (
        <Loading what="the variance" />
      ) : variance.data?.data.length === 0 ? (
        <p>Nothing is counted yet.</p>
      ) : (
        <ul className="space-y-2" aria-label="Variance">
          {variance.data?.data.map((row) => {
            const item = names.get(row.item_id);
            return (
              <li key={`${row.location_id}/${row.item_id}`} className="rounded-md border border-stone-300 bg-white p-3">
                <p className="font-medium">{item?.name ?? row.item_number}</p>
                <p className="text-sm text-stone-700">
                  Counted {qty(row.counted_qty)}, expected {qty(row.expected)} {item?.unit ?? ""}: {signed(row.variance)}{" "}
                  ({money(row.variance_value)})
                </p>
              </li>
            );
          })}
        </ul>
      )}
      {variance.data && <p className="font-medium">Total variance value: {money(variance.data.total_value)}</p>}
      <p>
        {session.lines_counted} of {session.lines_total} lines counted.
      </p>
      {props.waiting > 0 && (
        <p role="alert">This phone still has {props.waiting} lines waiting to be sent: send them before posting.</p>
      )}
      <ErrorMessage errors={error ? formErrors(error) : null} />
      <SelectField
        label="Lines nobody counted"
        value={uncounted}
        onChange={(value) => setUncounted(value === "zero" ? "zero" : "keep")}
        options={[
          { value: "keep", label: "Keep their stock as it is" },
          { value: "zero", label: "Count them as zero" },
        ]}
      />
      <div className="flex flex-wrap gap-2">
        <Button disabled={post.isPending || props.waiting > 0} onClick={() => post.mutate()}>
          {post.isPending ? "Posting…" : "Post the count"}
        </Button>
        {canceling ? (
          <Button kind="secondary" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            Yes, cancel the session
          </Button>
        ) : (
          <Button kind="secondary" onClick={() => setCanceling(true)}>
            Cancel the session
          </Button>
        )}
      </div>
    </section>
  );
}
