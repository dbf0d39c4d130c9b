import { describe, expect, it } from "vitest";
import { chartLabel } from "./chart";

describe("a chart's text alternative", () => {
  it("names every bar with its value", () => {
    expect(
      chartLabel("Waste by reason", [
        { label: "Spoiled", value: "17.8000000" },
        { label: "Expired", value: "1234.5" },
      ]),
    ).toBe("Waste by reason: Spoiled 17.80; Expired 1,234.50");
  });

  it("says when there is nothing", () => {
    expect(chartLabel("Waste by reason", [])).toBe("Waste by reason: nothing to show");
  });
});
