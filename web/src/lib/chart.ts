// What a chart says, in words: the accessible name of its canvas.
import { money } from "./format";

export interface Bar {
  label: string;
  /** An exact decimal string from the API. */
  value: string;
}

export function chartLabel(title: string, bars: readonly Bar[]): string {
  if (bars.length === 0) return `${title}: nothing to show`;
  return `${title}: ${bars.map((b) => `${b.label} ${money(b.value)}`).join("; ")}`;
}
