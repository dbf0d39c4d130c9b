// "Download CSV" for any list or report: the same filters as on screen, every record (CONTRACT §16).
import { useState } from "react";
import { fetchCsv, saveFile, type CsvPath, type CsvPathParams, type CsvQuery } from "../lib/csv";
import { formErrors } from "../lib/problems";

export function CsvDownload<P extends CsvPath>(props: {
  path: P;
  /** What the file holds, for the button's name: "Download stock as CSV". */
  what: string;
  query?: CsvQuery<P>;
  pathParams?: CsvPathParams<P>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const { blob, name } = await fetchCsv(props.path, props.query as Record<string, unknown> | undefined, props.pathParams);
      saveFile(blob, name);
    } catch (failure) {
      setError(formErrors(failure).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="inline-flex flex-col items-start gap-1">
      <button
        type="button"
        onClick={() => void download()}
        disabled={busy}
        className="min-h-11 rounded-md border border-stone-400 bg-white px-3 py-2 text-base text-stone-900 hover:bg-stone-100 disabled:text-stone-400"
      >
        {busy ? "Preparing…" : "Download CSV"}
        <span className="sr-only"> of {props.what}</span>
      </button>
      {error && (
        <span role="alert" className="text-sm text-red-800">
          {error}
        </span>
      )}
    </span>
  );
}
