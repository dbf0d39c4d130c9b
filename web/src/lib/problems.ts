// Problem details (RFC 9457) from the API, turned into words for a person: one message for the form and,
// where the API names a field by its JSON path (errors[].path, e.g. "$.lines[2].qty"), one per field.
import type { components } from "../api/schema";

export type Problem = components["schemas"]["ProblemDetails"];

export interface FormErrors {
  /** What went wrong, for the top of the form. */
  message: string;
  /** Messages by field path ("email", "lines[2].qty"), without the leading "$.". */
  fields: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  constructor(status: number, problem: Problem | null) {
    super(problem?.detail ?? `The server answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

const BY_STATUS: Record<number, string> = {
  401: "Your session has ended. Sign in again.",
  403: "Your role may not do this.",
  404: "That was not found; it may have been removed.",
  409: "That clashes with what is already there.",
  412: "Someone changed this while you were editing. Reload and try again.",
  413: "That is too much to send at once.",
  429: "Too many attempts. Wait a moment and try again.",
  503: "The server is busy or its database is unavailable. Try again shortly.",
};

export function fieldKey(path: string): string {
  return path.replace(/^\$\.?/, "");
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** The words to show for an error: per field where the problem names fields, else one message. */
export function formErrors(error: unknown): FormErrors {
  if (!(error instanceof ApiError)) {
    return { message: "The server could not be reached. Check the connection and try again.", fields: {} };
  }
  const fields: Record<string, string> = {};
  for (const item of error.problem?.errors ?? []) {
    const key = fieldKey(item.path);
    if (key && !(key in fields)) fields[key] = sentence(item.message);
  }
  if (Object.keys(fields).length > 0) {
    return { message: "Some fields need attention.", fields };
  }
  const detail = error.problem?.detail;
  if (error.status === 422 && detail) return { message: sentence(detail), fields };
  if (error.status >= 500 && error.status !== 503) {
    return { message: `Something went wrong on the server (reference ${error.problem?.request_id ?? "none"}).`, fields };
  }
  return { message: BY_STATUS[error.status] ?? sentence(detail ?? `The server answered ${error.status}`), fields };
}
