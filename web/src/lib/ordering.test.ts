import { describe, expect, it } from "vitest";
import {
  groupBySupplier,
  lineCost,
  packLabel,
  receiptLines,
  scaled,
  stockUnits,
  totalCost,
  unscaled,
  type SuggestedRow,
} from "./ordering";

function row(item: string, supplier: string | null): SuggestedRow {
  return {
    item_id: item,
    item_number: item,
    item_name: item,
    unit: "kg",
    on_hand: "1.000",
    on_order: "0.000",
    min_qty: "5.000",
    max_qty: "10.000",
    need: "9.000",
    supplier_id: supplier,
    supplier_name: supplier && `Supplier ${supplier}`,
    supplier_item_id: supplier && `si-${item}`,
    pack_id: null,
    pack_name: null,
    pack_qty: null,
    order_qty: "9.000",
    unit_price: supplier && "1.5000",
    line_cost: supplier && "13.5000",
  };
}

describe("the suggested order per supplier", () => {
  it("groups rows by supplier in the API's order, those without a supplier last", () => {
    const groups = groupBySupplier([row("a", "s1"), row("b", "s1"), row("c", null), row("d", "s2")]);
    expect(groups.map((g) => [g.supplierId, g.rows.map((r) => r.item_id)])).toEqual([
      ["s1", ["a", "b"]],
      ["s2", ["d"]],
      [null, ["c"]],
    ]);
    expect(groups[2].supplierName).toBe("No preferred supplier");
    expect(groupBySupplier([])).toEqual([]);
  });
});

describe("exact decimal arithmetic", () => {
  it("scales and unscales decimal strings without floats", () => {
    expect(scaled("12.5", 3)).toBe(12500n);
    expect(scaled("-0.25", 4)).toBe(-2500n);
    expect(scaled("3", 0)).toBe(3n);
    expect(scaled(".5", 3)).toBe(500n);
    expect(scaled("1.2340", 3)).toBe(1234n); // trailing zeros beyond the scale are fine
    expect(scaled("1.2345", 3)).toBeNull(); // real precision beyond it is not
    expect(scaled("abc", 3)).toBeNull();
    expect(scaled("", 3)).toBeNull();
    expect(unscaled(12500n, 3)).toBe("12.500");
    expect(unscaled(-5n, 4)).toBe("-0.0005");
  });

  it("prices a line and an order as the API does (0.1 × 3 is 0.3, not 0.30000000000000004)", () => {
    expect(lineCost("3", "0.1")).toBe("0.3000");
    expect(lineCost("2", "20.0000")).toBe("40.0000");
    expect(lineCost("0.333", "0.0015")).toBe("0.0005"); // 0.0004995 rounds half away from zero
    expect(lineCost("x", "1")).toBeNull();
    expect(lineCost("1", null)).toBeNull();
    expect(totalCost([{ quantity: "2", price: "20" }, { quantity: "14", price: "1.8" }, { quantity: "1", price: null }])).toBe(
      "65.2000",
    );
    expect(totalCost([{ quantity: "1", price: null }])).toBeNull();
  });
});

describe("packs", () => {
  it("names what a line counts and how many stock units it holds", () => {
    expect(packLabel("sack", "25.000", "kg")).toBe("sack of 25 kg");
    expect(packLabel(null, null, "kg")).toBe("kg");
    expect(stockUnits("2", "25.000")).toBe("50.000");
    expect(stockUnits("1.5", "0.333")).toBe("0.499"); // the API refuses this one: not whole 0.001 units
    expect(stockUnits("14", null)).toBe("14.000");
    expect(stockUnits("", "2")).toBeNull();
  });
});

describe("a receipt's lines", () => {
  it("sends only lines with a quantity, and a blank invoice price as null", () => {
    const lines = [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }];
    expect(receiptLines(lines, { a: "2", b: "0", c: " ", d: "1.0" }, { a: " 21.50 ", d: "" })).toEqual([
      { line_id: "a", qty: "2", unit_price: "21.50" },
      { line_id: "d", qty: "1.0", unit_price: null },
    ]);
  });

  it("keeps a quantity it cannot read, so the API names it", () => {
    expect(receiptLines([{ id: "a" }], { a: "two" }, {})).toEqual([{ line_id: "a", qty: "two", unit_price: null }]);
  });
});
