// Valuation by category (chart and table), waste by reason and usage over a period, low stock and count
// variances, as the role allows; every report downloads as CSV.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { api, unwrap } from "../api/client";
import { CsvDownload } from "../components/CsvDownload";
import { ReportSection } from "../components/ReportSection";
import { ErrorMessage, Loading, Screen } from "../components/ui";
import { ValueTable } from "../components/ValueTable";
import { money, qty, when } from "../lib/format";
import { reportsFor, type Role } from "../lib/nav";
import { formErrors } from "../lib/problems";
import { PeriodReports } from "./PeriodReports";

const BarChart = lazy(() => import("../components/BarChart"));

export default function Reports({ role }: { role: Role }) {
  const allowed = reportsFor(role);
  return (
    <Screen title="Reports">
      {allowed.includes("valuation") && <Valuation />}
      {allowed.includes("waste") && <PeriodReports />}
      {allowed.includes("low-stock") && <LowStock />}
      {allowed.includes("variance") && <Variances />}
    </Screen>
  );
}

function Valuation() {
  const report = useQuery({
    queryKey: ["reports", "valuation"],
    queryFn: async () =>
      unwrap(await api.GET("/v1/reports/valuation", { params: { query: { group_by: "category" } } })),
  });
  const groups = report.data?.group_by === "category" ? report.data.groups : [];
  const bars = useMemo(() => groups.map((g) => ({ label: g.category ?? "No category", value: g.value })), [groups]);
  if (report.isError) return <ErrorMessage errors={formErrors(report.error)} />;
  if (!report.data) return <Loading what="the valuation" />;
  const data = report.data;
  return (
    <ReportSection
      title="Stock value by category"
      actions={<CsvDownload path="/v1/reports/valuation" what="stock value by category" query={{ group_by: "category" }} />}
    >
      <p className="text-lg">
        Total <span className="font-semibold tabular-nums">{money(data.total_value)}</span>
        {data.uncosted_items > 0 && (
          <span className="block text-sm text-stone-600">{data.uncosted_items} items have no unit cost and count as 0.</span>
        )}
      </p>
      <Suspense fallback={<Loading what="the chart" />}>
        <BarChart title="Stock value by category" bars={bars} />
      </Suspense>
      <ValueTable name="Stock value by category, as a table" heading="Category" bars={bars} />
    </ReportSection>
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
    <ReportSection title="Low stock" actions={<CsvDownload path="/v1/reports/low-stock" what="low stock" />}>
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
    </ReportSection>
  );
}

function Variances() {
  // Fixed when the screen opens, so the query key (and the CSV) stay the same while it is shown.
  const since = useMemo(() => new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString(), []);
  const report = useQuery({
    queryKey: ["reports", "variance", since],
    queryFn: async () =>
      unwrap(await api.GET("/v1/reports/variance", { params: { query: { since, limit: 50 } } })),
  });
  if (report.isError) return <ErrorMessage errors={formErrors(report.error)} />;
  if (!report.data) return <Loading what="variances" />;
  return (
    <ReportSection
      title="Count variances, last 7 days"
      actions={<CsvDownload path="/v1/reports/variance" what="count variances" query={{ since }} />}
    >
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
    </ReportSection>
  );
}
