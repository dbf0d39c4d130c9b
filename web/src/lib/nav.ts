// What each role may open (CONTRACT §4): the navigation shows only these, and each screen checks again.
import type { components } from "../api/schema";

export type Role = components["schemas"]["User"]["role"];

export interface NavEntry {
  to: string;
  label: string;
  roles: readonly Role[];
}

const EVERYONE: readonly Role[] = ["admin", "manager", "counter", "viewer"];
const MANAGERS: readonly Role[] = ["admin", "manager"];
const COUNTERS: readonly Role[] = ["admin", "manager", "counter"];

export const NAV: readonly NavEntry[] = [
  { to: "/count", label: "Count", roles: COUNTERS },
  { to: "/stock", label: "Stock", roles: EVERYONE },
  { to: "/receive", label: "Receive", roles: MANAGERS },
  { to: "/order", label: "Order", roles: MANAGERS },
  { to: "/waste", label: "Waste", roles: ["admin", "manager", "counter"] }, // counters find the spoiled tray (§15)
  { to: "/reports", label: "Reports", roles: ["admin", "manager", "viewer"] },
  { to: "/items", label: "Items", roles: EVERYONE },
  { to: "/suppliers", label: "Suppliers", roles: MANAGERS },
  { to: "/locations", label: "Locations", roles: EVERYONE },
  { to: "/users", label: "Users", roles: ["admin"] },
  { to: "/audit", label: "Audit", roles: ["admin"] },
];

export function navFor(role: Role): NavEntry[] {
  return NAV.filter((entry) => entry.roles.includes(role));
}

export function mayOpen(role: Role, path: string): boolean {
  const entry = NAV.find((e) => path === e.to || path.startsWith(`${e.to}/`));
  return entry === undefined || entry.roles.includes(role);
}

/** Items and locations: create and edit. */
export function managesCatalog(role: Role): boolean {
  return MANAGERS.includes(role);
}

export type Report = "valuation" | "waste" | "usage" | "low-stock" | "variance";

/** The reports a role may read: a viewer only low stock. */
export function reportsFor(role: Role): Report[] {
  if (MANAGERS.includes(role)) return ["valuation", "waste", "usage", "low-stock", "variance"];
  return role === "viewer" ? ["low-stock"] : [];
}
