import { describe, expect, it } from "vitest";
import { lastDays, periodQuery } from "./period";

describe("report periods", () => {
  it("counts today in the last n days", () => {
    expect(lastDays(7, new Date(2026, 2, 3, 15, 30))).toEqual({ from: "2026-02-25", to: "2026-03-03" });
    expect(lastDays(1, new Date(2026, 0, 1, 0, 5))).toEqual({ from: "2026-01-01", to: "2026-01-01" });
  });

  it("runs from the first day's midnight to the midnight after the last", () => {
    const query = periodQuery({ from: "2026-02-27", to: "2026-03-01" });
    expect(query).toEqual({
      since: new Date(2026, 1, 27).toISOString(),
      until: new Date(2026, 2, 2).toISOString(),
    });
  });

  it("refuses a period that ends before it starts or is not a date", () => {
    expect(periodQuery({ from: "2026-03-02", to: "2026-03-01" })).toBeNull();
    expect(periodQuery({ from: "", to: "2026-03-01" })).toBeNull();
    expect(periodQuery({ from: "2026-13-45", to: "2026-03-01" })).toBeNull();
  });
});
