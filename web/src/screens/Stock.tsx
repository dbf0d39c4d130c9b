// Stock on hand by item and location; items whose total is below their minimum (par) are marked.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { categoriesOf, useItems, useLocations } from "../api/queries";
import { CsvDownload } from "../components/CsvDownload";
import { Checkbox, ErrorMessage, LoadMore, Loading, Screen, SelectField } from "../components/ui";
import { qty } from "../lib/format";
import { formErrors } from "../lib/problems";

export default function Stock() {
  const [locationId, setLocationId] = useState("");
  const [category, setCategory] = useState("");
  const [belowOnly, setBelowOnly] = useState(false);
  const locations = useLocations();
  const items = useItems();
  const filters = { location_id: locationId || undefined, category: category || undefined };

  const stock = useInfiniteQuery({
    queryKey: ["stock", filters, belowOnly],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/v1/stock", {
          params: { query: { ...filters, below_min: belowOnly || undefined, limit: 100, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  // Which items are below par in total (the API's below_min), to mark them in the full list.
  const below = useQuery({
    queryKey: ["stock", "below", filters],
    queryFn: async () => {
      const ids = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const data = unwrap(
          await api.GET("/v1/stock", { params: { query: { ...filters, below_min: true, limit: 200, cursor } } }),
        );
        for (const row of data.data) ids.add(row.item_id);
        if (!data.next_cursor) break;
        cursor = data.next_cursor;
      }
      return ids;
    },
  });

  const rows = stock.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Screen
      title="Stock"
      actions={<CsvDownload path="/v1/stock" what="stock" query={{ ...filters, below_min: belowOnly || undefined }} />}
    >
      <div className="grid gap-3 sm:grid-cols-3">
        <SelectField
          label="Location"
          value={locationId}
          onChange={setLocationId}
          options={[
            { value: "", label: "All locations" },
            ...(locations.data ?? []).map((l) => ({ value: l.id, label: `${l.name} (${l.code})` })),
          ]}
        />
        <SelectField
          label="Category"
          value={category}
          onChange={setCategory}
          options={[{ value: "", label: "All categories" }, ...categoriesOf(items.data).map((c) => ({ value: c, label: c }))]}
        />
        <Checkbox label="Below par only" checked={belowOnly} onChange={setBelowOnly} />
      </div>
      {stock.isError && <ErrorMessage errors={formErrors(stock.error)} />}
      {stock.isPending ? (
        <Loading what="stock" />
      ) : rows.length === 0 ? (
        <p>No stock matches these filters.</p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Stock levels">
          {rows.map((row) => {
            const low = below.data?.has(row.item_id) ?? false;
            return (
              <li
                key={`${row.item_id}:${row.location_id}`}
                className={`flex items-start justify-between gap-3 px-3 py-3 ${low ? "border-l-4 border-amber-500 bg-amber-50" : ""}`}
                data-below-par={low || undefined}
              >
                <div className="min-w-0">
                  <p className="font-medium break-words">{row.item_name}</p>
                  <p className="text-sm text-stone-600">
                    {row.item_number} · {row.location_name}
                    {row.category ? ` · ${row.category}` : ""}
                  </p>
                </div>
                <div className="shrink-0 text-right">
                  <p className="text-lg font-semibold tabular-nums">
                    {qty(row.on_hand)} <span className="text-sm font-normal">{row.unit}</span>
                  </p>
                  {low && <p className="text-sm font-semibold text-amber-900">Below par</p>}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <LoadMore hasMore={!!stock.hasNextPage} loading={stock.isFetchingNextPage} onMore={() => void stock.fetchNextPage()} />
    </Screen>
  );
}
