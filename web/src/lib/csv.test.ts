import { describe, expect, it } from "vitest";
import { exportQuery, filenameFrom } from "./csv";

describe("CSV downloads", () => {
  it("keeps the server's file name", () => {
    expect(filenameFrom('attachment; filename="reports-valuation.csv"', "x.csv")).toBe("reports-valuation.csv");
    expect(filenameFrom("attachment; filename=items.csv", "x.csv")).toBe("items.csv");
    expect(filenameFrom("attachment; filename*=UTF-8''stock%20levels.csv", "x.csv")).toBe("stock levels.csv");
  });

  it("falls back when the header is missing or names a path", () => {
    expect(filenameFrom(null, "stock.csv")).toBe("stock.csv");
    expect(filenameFrom("attachment", "stock.csv")).toBe("stock.csv");
    expect(filenameFrom('attachment; filename="../../etc.csv"', "x.csv")).toBe(".._.._etc.csv");
  });

  it("asks for every record: no paging, no empty filters", () => {
    expect(exportQuery({ limit: 50, cursor: "abc", category: "", location_id: "L1", below_min: undefined })).toEqual({
      location_id: "L1",
    });
    expect(exportQuery(undefined)).toEqual({});
  });
});
