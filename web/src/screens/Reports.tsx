// Valuation by category (chart and table), low stock and count variances, as the role allows.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { api, unwrap } from "../api/client";
import { ErrorMessage, Loading, Screen } from "../components/ui";
import { money, qty, when } from "../lib/format";
import { reportsFor, type Role } from "../lib/nav";
import { formErrors } from "../lib/problems";

const ValuationChart = lazy(() => import("../components/ValuationChart"));

export default function Reports({ role }: { role: Role }) {
  const allowed = reportsFor(role);
  return (
    <Screen title="Reports">
      {allowed.includes("valuation") && <Valuation />}
      {allowed.includes("low-stock") && <LowStock />}
      {allowed.includes("variance") && <Variances />}
    </Screen>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section aria-label={title} className="space-y-3 rounded-md border border-stone-300 bg-white p-3">
      <h2 className="text-xl font-semibold">{title}</h2>
      {children}
    </section>
  );
}

function Valuation() {
  const report = useQuery({
    queryKey: ["reports", "valuation"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/reports/valuation", { params: { query: { group_by: "category" } } })),
  });
  if (report.isError) return <ErrorMessage errors={formErrors(report.error)} />;
  if (!report.data) return <Loading what="the valuation" />;
  const data = report.data;
  const groups = data.group_by === "category" ? data.groups : [];
  return (
    <Section title="Stock value by category">
      <p className="text-lg">
        Total <span className="font-semibold tabular-nums">{money(data.total_value)}</span>
        {data.uncosted_items > 0 && (
          <span className="block text-sm text-stone-600">{data.uncosted_items} items have no unit cost and count as 0.</span>
        )}
      </p>
      <Suspense fallback={<Loading what="the chart" />}>
        <ValuationChart groups={groups} />
      </Suspense>
      <table className="w-full text-left">
        <thead>
          <tr className="border-b border-stone-300 text-sm">
            <th className="py-2">Category</th>
            <th className="py-2 text-right">Value</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.category ?? ""} className="border-b border-stone-100">
              <td className="py-2 break-words">{g.category ?? "No category"}</td>
              <td className="py-2 text-right tabular-nums">{money(g.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function LowStock() {
  const report = useQuery({
    queryKey: ["reports", "low-stock"],
    queryFn: async () => unwrap(await api.GET("/v1/reports/low-stock", { params: { query: { limit: 200 } } })),
  });
  if (report.isError) return <ErrorMessage errors={formErrors(report.error)} />;
  if (!report.data) return <Loading what="low stock" />;
  return (
    <Section title="Low stock">
      {report.data.data.length === 0 ? (
        <p>Nothing is below its minimum.</p>
      ) : (
        <table className="w-full text-left">
          <thead>
            <tr className="border-b border-stone-300 text-sm">
              <th className="py-2">Item</th>
              <th className="py-2 text-right">On hand</th>
              <th className="py-2 text-right">Reorder</th>
            </tr>
          </thead>
          <tbody>
            {report.data.data.map((row) => (
              <tr key={row.item_id} className="border-b border-stone-100">
                <td className="py-2 break-words">{row.item_name}</td>
                <td className="py-2 text-right tabular-nums">
                  {qty(row.on_hand)} / {qty(row.min_qty)}
                </td>
                <td className="py-2 text-right tabular-nums">
                  {qty(row.reorder_qty)} {row.unit}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Variances() {
  const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
  const report = useQuery({
    queryKey: ["reports", "variance"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/reports/variance", { params: { query: { since, limit: 50 } } })),
  });
  if (report.isError) return <ErrorMessage errors={formErrors(report.error)} />;
  if (!report.data) return <Loading what="variances" />;
  return (
    <Section title="Count variances, last 7 days">
      {report.data.data.length === 0 ? (
        <p>No counts in the last 7 days.</p>
      ) : (
        <ul className="divide-y divide-stone-200">
          {report.data.data.map((row) => (
            <li key={row.count_id} className="flex justify-between gap-3 py-2">
              <span className="min-w-0 break-words">
                {row.item_name}
                <span className="block text-sm text-stone-600">
                  {row.location_code} · {when(row.counted_at)}
                </span>
              </span>
              <span className="shrink-0 text-right tabular-nums">
                {qty(row.variance)}
                {row.variance_value && <span className="block text-sm">{money(row.variance_value)}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
