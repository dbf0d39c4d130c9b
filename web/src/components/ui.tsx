// Small building blocks: every input has a visible label, every target is at least 44 px tall, errors are words.
import { useId, type ReactNode } from "react";
import type { FormErrors } from "../lib/problems";

export const control =
  "block w-full min-h-11 rounded-md border border-stone-400 bg-white px-3 py-2 text-base text-stone-900 " +
  "aria-invalid:border-red-700";

const buttonKinds = {
  primary: "bg-emerald-700 text-white hover:bg-emerald-800 disabled:bg-stone-400",
  secondary: "border border-stone-400 bg-white text-stone-900 hover:bg-stone-100 disabled:text-stone-400",
} as const;

export function Button(props: {
  children: ReactNode;
  kind?: keyof typeof buttonKinds;
  type?: "button" | "submit";
  disabled?: boolean;
  onClick?: () => void;
}) {
  return (
    <button
      type={props.type ?? "button"}
      disabled={props.disabled}
      onClick={props.onClick}
      className={`min-h-11 min-w-11 rounded-md px-4 py-2 text-base font-medium ${buttonKinds[props.kind ?? "primary"]}`}
    >
      {props.children}
    </button>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  type?: string;
  inputMode?: "decimal" | "email" | "text" | "search";
  autoComplete?: string;
  required?: boolean;
}

export function Field({ label, value, onChange, error, type, inputMode, autoComplete, required }: FieldProps) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        className={control}
        type={type ?? "text"}
        inputMode={inputMode}
        autoComplete={autoComplete}
        required={required}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-800">
          {error}
        </p>
      )}
    </div>
  );
}

export function SelectField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ value: string; label: string }>;
  error?: string;
}) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        {props.label}
      </label>
      <select
        id={id}
        className={control}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        onChange={(event) => props.onChange(event.target.value)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {props.error && <p className="text-sm text-red-800">{props.error}</p>}
    </div>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div className="flex min-h-11 items-center gap-3">
      <input
        id={id}
        type="checkbox"
        className="size-6 accent-emerald-700"
        checked={props.checked}
        onChange={(event) => props.onChange(event.target.checked)}
      />
      <label htmlFor={id} className="text-base">
        {props.label}
      </label>
    </div>
  );
}

export function ErrorMessage({ errors }: { errors: FormErrors | null }) {
  if (!errors) return null;
  return (
    <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
      {errors.message}
    </p>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900">
      {children}
    </p>
  );
}

export function Screen({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">{title}</h1>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="text-stone-600">Loading {what}…</p>;
}

export function LoadMore(props: { hasMore: boolean; loading: boolean; onMore: () => void }) {
  if (!props.hasMore) return null;
  return (
    <Button kind="secondary" disabled={props.loading} onClick={props.onMore}>
      {props.loading ? "Loading…" : "Show more"}
    </Button>
  );
}
