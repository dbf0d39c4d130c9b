// The suggested order grouped per supplier, and the pack arithmetic the order and receive screens show.
// Money and quantities stay decimal strings: sums are exact in scaled integers, never floats.
import type { components } from "../api/schema";

export type SuggestedRow = components["schemas"]["SuggestedOrderLine"];

export interface SupplierGroup {
  /** null: items that no active supplier sells as preferred (they cannot be drafted from the suggestion). */
  supplierId: string | null;
  supplierName: string;
  rows: SuggestedRow[];
}

/** Rows keep the API's order (by supplier name, then item number; those without a supplier last). */
export function groupBySupplier(rows: readonly SuggestedRow[]): SupplierGroup[] {
  const groups = new Map<string, SupplierGroup>();
  for (const row of rows) {
    const key = row.supplier_id ?? "";
    let group = groups.get(key);
    if (!group) {
      group = { supplierId: row.supplier_id, supplierName: row.supplier_name ?? "No preferred supplier", rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
  }
  const found = [...groups.values()];
  return [...found.filter((g) => g.supplierId !== null), ...found.filter((g) => g.supplierId === null)];
}

const DECIMAL = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/;

/** A decimal string as an integer scaled by 10^scale, or null when it is not a plain decimal. */
export function scaled(value: string, scale: number): bigint | null {
  const match = DECIMAL.exec(value);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return null;
  const fraction = (match[3] ?? "").padEnd(scale, "0");
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale))) return null; // more precision than we keep
  const units = BigInt((match[2] || "0") + fraction.slice(0, scale));
  return match[1] === "-" ? -units : units;
}

/** An integer scaled by 10^scale back to a decimal string with exactly scale digits. */
export function unscaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** quantity × price, exact (3 + 4 decimals, shown with 4): null when either is not a number. */
export function lineCost(quantity: string, price: string | null): string | null {
  if (price === null) return null;
  const q = scaled(quantity, 3);
  const p = scaled(price, 4);
  if (q === null || p === null) return null;
  const product = q * p; // 7 decimals
  const rounded = (product + (product >= 0n ? 500n : -500n)) / 1000n; // half away from zero, to 4
  return unscaled(rounded, 4);
}

/** Σ quantity × price over lines that have both; null when none has. */
export function totalCost(lines: ReadonlyArray<{ quantity: string; price: string | null }>): string | null {
  let sum: bigint | null = null;
  for (const line of lines) {
    const cost = lineCost(line.quantity, line.price);
    if (cost !== null) sum = (sum ?? 0n) + (scaled(cost, 4) ?? 0n);
  }
  return sum === null ? null : unscaled(sum, 4);
}

/** How a line is counted: "sack of 25 kg" for a pack, "kg" for the stock unit. */
export function packLabel(packName: string | null, packQty: string | null, unit: string): string {
  if (!packName) return unit;
  return packQty ? `${packName} of ${trim(packQty)} ${unit}` : packName;
}

/** Stock units a quantity of packs holds (packs × pack qty, 3 decimals), or the quantity itself without a pack. */
export function stockUnits(quantity: string, packQty: string | null): string | null {
  const q = scaled(quantity, 3);
  if (q === null) return null;
  if (!packQty) return unscaled(q, 3);
  const per = scaled(packQty, 3);
  if (per === null) return null;
  return unscaled((q * per) / 1000n, 3);
}

function trim(value: string): string {
  return value.includes(".") ? value.replace(/0+$/, "").replace(/\.$/, "") : value;
}

/** The lines to send: only those with a quantity other than zero; a blank price is "not on the invoice". */
export function receiptLines(
  lines: ReadonlyArray<{ id: string }>,
  quantities: Record<string, string>,
  prices: Record<string, string>,
): Array<{ line_id: string; qty: string; unit_price: string | null }> {
  return lines
    .filter((line) => {
      const text = (quantities[line.id] ?? "").trim();
      return text !== "" && scaled(text, 3) !== 0n;
    })
    .map((line) => ({
      line_id: line.id,
      qty: quantities[line.id].trim(),
      unit_price: (prices[line.id] ?? "").trim() || null,
    }));
}
