import type { Bar } from "../lib/chart";
import { money } from "../lib/format";

/** A chart's numbers as a table under it: one row per bar, the value as money. */
export function ValueTable({ name, heading, bars }: { name: string; heading: string; bars: Bar[] }) {
  return (
    <table className="w-full text-left" aria-label={name}>
      <thead>
        <tr className="border-b border-stone-300 text-sm">
          <th className="py-2">{heading}</th>
          <th className="py-2 text-right">Value</th>
        </tr>
      </thead>
      <tbody>
        {bars.map((bar) => (
          <tr key={bar.label} className="border-b border-stone-100">
            <td className="py-2 break-words">{bar.label}</td>
            <td className="py-2 text-right tabular-nums">{money(bar.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
