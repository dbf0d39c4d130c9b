// Why stock was thrown away (CONTRACT §15), in the words the screens show.
import type { components } from "../api/schema";

export type Reason = components["schemas"]["WasteCreate"]["reason"];

export const REASONS: ReadonlyArray<{ value: Reason; label: string }> = [
  { value: "spoiled", label: "Spoiled" },
  { value: "expired", label: "Expired" },
  { value: "damaged", label: "Damaged" },
  { value: "overproduction", label: "Overproduction" },
  { value: "returned", label: "Returned" },
  { value: "other", label: "Other" },
];

export function reasonLabel(reason: string | null | undefined): string {
  return REASONS.find((r) => r.value === reason)?.label ?? reason ?? "No reason";
}
