// The audit trail (admin), newest first, filtered by kind of record.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { CsvDownload } from "../components/CsvDownload";
import { ErrorMessage, LoadMore, Loading, Screen, SelectField } from "../components/ui";
import { when } from "../lib/format";
import { formErrors } from "../lib/problems";

const ENTITIES = ["", "item", "location", "movement", "inventory_count", "purchase_order", "app_user"];

export default function Audit() {
  const [entity, setEntity] = useState("");
  const audit = useInfiniteQuery({
    queryKey: ["audit", entity],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/v1/audit", { params: { query: { entity: entity || undefined, limit: 50, cursor: pageParam } } }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = audit.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Screen title="Audit" actions={<CsvDownload path="/v1/audit" what="the audit trail" query={{ entity: entity || undefined }} />}>
      <SelectField
        label="Record"
        value={entity}
        onChange={setEntity}
        options={ENTITIES.map((e) => ({ value: e, label: e ? e.replace("_", " ") : "All records" }))}
      />
      {audit.isError && <ErrorMessage errors={formErrors(audit.error)} />}
      {audit.isPending ? (
        <Loading what="the audit trail" />
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Audit entries">
          {rows.map((row) => (
            <li key={row.id} className="px-3 py-2">
              <p className="font-medium break-words">{row.action}</p>
              <p className="text-sm break-all text-stone-600">
                {when(row.created_at)} · {row.entity}
                {row.ip ? ` · ${row.ip}` : ""}
              </p>
            </li>
          ))}
        </ul>
      )}
      <LoadMore hasMore={!!audit.hasNextPage} loading={audit.isFetchingNextPage} onMore={() => void audit.fetchNextPage()} />
    </Screen>
  );
}
