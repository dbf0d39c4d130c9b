import { describe, expect, it } from "vitest";
import { managesCatalog, mayOpen, navFor, reportsFor } from "./nav";

const labels = (role: Parameters<typeof navFor>[0]) => navFor(role).map((entry) => entry.label);

describe("navigation by role (CONTRACT §4)", () => {
  it("shows each role only what it may use", () => {
    expect(labels("admin")).toEqual(["Count", "Stock", "Receive", "Order", "Waste", "Reports", "Items", "Suppliers", "Locations", "Users", "Audit"]);
    expect(labels("manager")).toEqual(["Count", "Stock", "Receive", "Order", "Waste", "Reports", "Items", "Suppliers", "Locations"]);
    expect(labels("counter")).toEqual(["Count", "Stock", "Waste", "Items", "Locations"]);
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
    expect(mayOpen("counter", "/count/s1/l1")).toBe(true);
    expect(mayOpen("viewer", "/count")).toBe(false);
    expect(mayOpen("counter", "/waste")).toBe(true);
    expect(mayOpen("viewer", "/waste")).toBe(false);
    expect(mayOpen("counter", "/")).toBe(true);
  });

  it("lets managers edit the catalogue and a viewer read only low stock", () => {
    expect(managesCatalog("admin") && managesCatalog("manager")).toBe(true);
    expect(managesCatalog("counter") || managesCatalog("viewer")).toBe(false);
    expect(reportsFor("viewer")).toEqual(["low-stock"]);
    expect(reportsFor("counter")).toEqual([]);
    expect(reportsFor("manager")).toEqual(["valuation", "waste", "usage", "low-stock", "variance"]);
  });
});
