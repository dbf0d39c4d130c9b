// Decimal strings from the API stay strings: shown trimmed of trailing zeros, never parsed into floats for sums.
export function qty(value: string | number): string {
  const text = String(value);
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

export function money(value: string): string {
  const number = Number(value);
  return Number.isFinite(number) ? number.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : value;
}

export function when(value: string): string {
  return new Date(value).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}
