// A report period picked as two calendar days in the browser's time zone: from the start of the first day
// to the end of the last, sent as RFC 3339 instants (the API's (since, until]).
export interface Period {
  from: string; // YYYY-MM-DD
  to: string; // YYYY-MM-DD
}

function day(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The last `days` days, today included. */
export function lastDays(days: number, today: Date = new Date()): Period {
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  return { from: day(start), to: day(today) };
}

function localMidnight(text: string): Date | null {
  const found = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!found) return null;
  const date = new Date(Number(found[1]), Number(found[2]) - 1, Number(found[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** since = the first day's midnight, until = the midnight after the last day; null when not a valid period. */
export function periodQuery(period: Period): { since: string; until: string } | null {
  const from = localMidnight(period.from);
  const to = localMidnight(period.to);
  if (!from || !to || to < from) return null;
  const after = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1);
  return { since: from.toISOString(), until: after.toISOString() };
}
