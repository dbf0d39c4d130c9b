import { describe, expect, it } from "vitest";
import { managesCatalog, mayOpen, navFor, reportsFor } from "./nav";

const labels = (role: Parameters<typeof navFor>[0]) => navFor(role).map((entry) => entry.label);

describe("navigation by role (CONTRACT §4)", () => {
  it("shows each role only what it may use", () => {
    expect(labels("admin")).toEqual(["Stock", "Receive", "Order", "Reports", "Items", "Suppliers", "Locations", "Users", "Audit"]);
    expect(labels("manager")).toEqual(["Stock", "Receive", "Order", "Reports", "Items", "Suppliers", "Locations"]);
    expect(labels("counter")).toEqual(["Stock", "Items", "Locations"]);
    expect(labels("viewer")).toEqual(["Stock", "Reports", "Items", "Locations"]);
  });

  it("refuses a page typed into the address bar", () => {
    expect(mayOpen("counter", "/receive")).toBe(false);
    expect(mayOpen("viewer", "/order")).toBe(false);
    expect(mayOpen("counter", "/suppliers")).toBe(false);
    expect(mayOpen("manager", "/users")).toBe(false);
    expect(mayOpen("manager", "/audit/x")).toBe(false);
    expect(mayOpen("viewer", "/reports")).toBe(true);
    expect(mayOpen("counter", "/stock")).toBe(true);
    expect(mayOpen("counter", "/")).toBe(true);
  });

  it("lets managers edit the catalogue and a viewer read only low stock", () => {
    expect(managesCatalog("admin") && managesCatalog("manager")).toBe(true);
    expect(managesCatalog("counter") || managesCatalog("viewer")).toBe(false);
    expect(reportsFor("viewer")).toEqual(["low-stock"]);
    expect(reportsFor("counter")).toEqual([]);
    expect(reportsFor("manager")).toContain("valuation");
  });
});
