// Shared reads: locations and the item catalogue (for names in receipts, categories in filters).
import { useQuery } from "@tanstack/react-query";
import type { components } from "./schema";
import { api, unwrap } from "./client";

export type Item = components["schemas"]["Item"];
export type Location = components["schemas"]["Location"];

const MAX_PAGES = 10; // 2,000 rows: more than any one kitchen's catalogue

export function useLocations() {
  return useQuery({
    queryKey: ["locations", "all"],
    queryFn: async () => {
      const rows: Location[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const data = unwrap(await api.GET("/v1/locations", { params: { query: { limit: 200, cursor } } }));
        rows.push(...data.data);
        if (!data.next_cursor) break;
        cursor = data.next_cursor;
      }
      return rows;
    },
  });
}

export function useItems() {
  return useQuery({
    queryKey: ["items", "all"],
    queryFn: async () => {
      const rows: Item[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const data = unwrap(await api.GET("/v1/items", { params: { query: { limit: 200, cursor } } }));
        rows.push(...data.data);
        if (!data.next_cursor) break;
        cursor = data.next_cursor;
      }
      return rows;
    },
  });
}

export function categoriesOf(items: Item[] | undefined): string[] {
  return [...new Set((items ?? []).map((item) => item.category).filter((c): c is string => !!c))].sort();
}
