// The reports over a period (CONTRACT §15): waste by reason as a chart and a table, usage per item as a table.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo, useState } from "react";
import { api, unwrap } from "../api/client";
import { CsvDownload } from "../components/CsvDownload";
import { ReportSection } from "../components/ReportSection";
import { ErrorMessage, Field, Loading } from "../components/ui";
import { ValueTable } from "../components/ValueTable";
import { money, qty } from "../lib/format";
import { lastDays, periodQuery, type Period } from "../lib/period";
import { formErrors } from "../lib/problems";
import { reasonLabel } from "../lib/reasons";

const BarChart = lazy(() => import("../components/BarChart"));

type Range = { since: string; until: string };

export function PeriodReports() {
  const [period, setPeriod] = useState<Period>(() => lastDays(7));
  const range = useMemo(() => periodQuery(period), [period]);
  return (
    <>
      <fieldset className="grid grid-cols-2 gap-3 rounded-md border border-stone-300 bg-white p-3">
        <legend className="px-1 text-sm font-medium">Period for waste and usage</legend>
        <Field label="From" type="date" value={period.from} onChange={(from) => setPeriod((p) => ({ ...p, from }))} />
        <Field
          label="To"
          type="date"
          value={period.to}
          onChange={(to) => setPeriod((p) => ({ ...p, to }))}
          error={range ? undefined : "Pick a day on or after the first."}
        />
      </fieldset>
      {range && <WasteByReason range={range} />}
      {range && <Usage range={range} />}
    </>
  );
}

function WasteByReason({ range }: { range: Range }) {
  const report = useQuery({
    queryKey: ["reports", "waste", "reason", range],
    queryFn: async () =>
      unwrap(await api.GET("/v1/reports/waste", { params: { query: { ...range, group_by: "reason" } } })),
  });
  const bars = useMemo(
    () => (report.data?.data ?? []).map((g) => ({ label: reasonLabel(g.key), value: g.value })),
    [report.data],
  );
  const title = "Waste by reason";
  return (
    <ReportSection
      title={title}
      actions={<CsvDownload path="/v1/reports/waste" what="waste by reason" query={{ ...range, group_by: "reason" }} />}
    >
      {report.isError && <ErrorMessage errors={formErrors(report.error)} />}
      {!report.data ? (
        !report.isError && <Loading what="waste" />
      ) : report.data.data.length === 0 ? (
        <p>Nothing was thrown away in this period.</p>
      ) : (
        <>
          <p className="text-lg">
            Total <span className="font-semibold tabular-nums">{money(report.data.total_value)}</span>
          </p>
          <Suspense fallback={<Loading what="the chart" />}>
            <BarChart title={title} bars={bars} color="#b45309" />
          </Suspense>
          <ValueTable name="Waste by reason, as a table" heading="Reason" bars={bars} />
        </>
      )}
    </ReportSection>
  );
}

const USAGE_COLUMNS = [
  ["opening", "Opening"],
  ["received", "Received"],
  ["used", "Used"],
  ["wasted", "Wasted"],
  ["closing", "Closing"],
  ["consumption", "Consumed"],
] as const;

function Usage({ range }: { range: Range }) {
  const report = useQuery({
    queryKey: ["reports", "usage", range],
    queryFn: async () => unwrap(await api.GET("/v1/reports/usage", { params: { query: range } })),
  });
  return (
    <ReportSection title="Usage" actions={<CsvDownload path="/v1/reports/usage" what="usage" query={range} />}>
      {report.isError && <ErrorMessage errors={formErrors(report.error)} />}
      {!report.data ? (
        !report.isError && <Loading what="usage" />
      ) : report.data.data.length === 0 ? (
        <p>No item had stock or movements in this period.</p>
      ) : (
        <>
          <p className="text-lg">
            Consumed <span className="font-semibold tabular-nums">{money(report.data.totals.consumption_value)}</span>
            <span className="block text-sm text-stone-600">
              Received {money(report.data.totals.received_value)}
              {report.data.totals.uncosted_items > 0 && `; ${report.data.totals.uncosted_items} items have no unit cost`}
            </span>
          </p>
          {/* Wider than a phone: the table scrolls inside its own box, never the page. */}
          <div className="overflow-x-auto" role="region" aria-label="Usage per item" tabIndex={0}>
            <table className="min-w-full text-left text-sm">
              <thead>
                <tr className="border-b border-stone-300">
                  <th className="py-2 pr-3">Item</th>
                  {USAGE_COLUMNS.map(([key, label]) => (
                    <th key={key} className="py-2 pr-3 text-right">
                      {label}
                    </th>
                  ))}
                  <th className="py-2 text-right">Value</th>
                </tr>
              </thead>
              <tbody>
                {report.data.data.map((row) => (
                  <tr key={row.item_id} className="border-b border-stone-100">
                    <th scope="row" className="py-2 pr-3 font-normal">
                      <span className="block min-w-32">{row.item_name}</span>
                      <span className="block text-stone-600">{row.unit}</span>
                    </th>
                    {USAGE_COLUMNS.map(([key]) => (
                      <td key={key} className="py-2 pr-3 text-right tabular-nums">
                        {qty(row[key])}
                      </td>
                    ))}
                    <td className="py-2 text-right tabular-nums">
                      {row.consumption_value === null ? "–" : money(row.consumption_value)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </ReportSection>
  );
}
