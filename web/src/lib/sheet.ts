// A location's count sheet as the manager edits it: item ids in shelf order, saved whole with one PUT.
export function move<T>(list: readonly T[], index: number, by: -1 | 1): T[] {
  const target = index + by;
  if (index < 0 || index >= list.length || target < 0 || target >= list.length) return [...list];
  const next = [...list];
  [next[index], next[target]] = [next[target], next[index]];
  return next;
}

export function removeAt<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** Appends the id unless the sheet already has it (the API refuses duplicates). */
export function append(list: readonly string[], id: string): string[] {
  return id && !list.includes(id) ? [...list, id] : [...list];
}

export function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
