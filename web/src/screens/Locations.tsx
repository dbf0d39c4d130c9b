// Storage locations and their count sheets: everyone reads them; managers create, edit and arrange.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import { useLocations, type Location } from "../api/queries";
import { CsvDownload } from "../components/CsvDownload";
import { Button, Checkbox, ErrorMessage, Field, Loading, Screen, SelectField } from "../components/ui";
import { managesCatalog, type Role } from "../lib/nav";
import { formErrors } from "../lib/problems";
import { LocationSheet } from "./LocationSheet";

const ZONES = [
  { value: "dry", label: "Dry store" },
  { value: "cooler", label: "Cooler" },
  { value: "freezer", label: "Freezer" },
] as const;
type Zone = (typeof ZONES)[number]["value"];

export default function Locations({ role }: { role: Role }) {
  const locations = useLocations();
  const [editing, setEditing] = useState<Location | "new" | null>(null);
  const [sheetOf, setSheetOf] = useState<Location | null>(null);
  const manager = managesCatalog(role);
  if (editing) return <LocationForm location={editing === "new" ? null : editing} onDone={() => setEditing(null)} />;
  if (sheetOf) return <LocationSheet location={sheetOf} editable={manager} onBack={() => setSheetOf(null)} />;
  return (
    <Screen
      title="Locations"
      actions={
        <span className="flex flex-wrap gap-2">
          <CsvDownload path="/v1/locations" what="locations" />
          {manager && <Button onClick={() => setEditing("new")}>New location</Button>}
        </span>
      }
    >
      {locations.isError && <ErrorMessage errors={formErrors(locations.error)} />}
      {locations.isPending ? (
        <Loading what="locations" />
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Locations">
          {locations.data?.map((location) => (
            <li key={location.id} className="flex items-center justify-between gap-3 px-3 py-2">
              <div className="min-w-0">
                <p className="font-medium break-words">
                  {location.name}
                  {!location.active && <span className="ml-2 text-sm text-stone-500">(inactive)</span>}
                </p>
                <p className="text-sm text-stone-600">
                  {location.code} · {ZONES.find((z) => z.value === location.temp_zone)?.label}
                </p>
              </div>
              <span className="flex shrink-0 gap-2">
                <Button kind="secondary" onClick={() => setSheetOf(location)}>
                  Sheet<span className="sr-only"> of {location.name}</span>
                </Button>
                {manager && (
                  <Button kind="secondary" onClick={() => setEditing(location)}>
                    Edit<span className="sr-only"> {location.name}</span>
                  </Button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

function LocationForm({ location, onDone }: { location: Location | null; onDone: () => void }) {
  const queries = useQueryClient();
  const [code, setCode] = useState(location?.code ?? "");
  const [name, setName] = useState(location?.name ?? "");
  const [zone, setZone] = useState<Zone>(location?.temp_zone ?? "dry");
  const [active, setActive] = useState(location?.active ?? true);
  const [key] = useState(idempotencyKey);
  const save = useMutation({
    mutationFn: async () => {
      const body = { code: code.trim(), name: name.trim(), temp_zone: zone };
      if (!location) {
        return unwrap(await api.POST("/v1/locations", { params: { header: { "Idempotency-Key": key } }, body }));
      }
      const current = await api.GET("/v1/locations/{id}", { params: { path: { id: location.id } } });
      unwrap(current);
      return unwrap(
        await api.PATCH("/v1/locations/{id}", {
          params: { path: { id: location.id }, header: { "If-Match": current.response.headers.get("ETag") ?? undefined } },
          body: { ...body, active },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["locations"] });
      onDone();
    },
  });
  const errors = save.isError ? formErrors(save.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Screen title={location ? `Edit ${location.name}` : "New location"}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorMessage errors={errors} />
        <Field label="Code" value={code} onChange={setCode} error={errors?.fields.code} />
        <Field label="Name" value={name} onChange={setName} error={errors?.fields.name} />
        <SelectField
          label="Temperature zone"
          value={zone}
          onChange={(value) => setZone(value as Zone)}
          options={ZONES.map((z) => ({ value: z.value, label: z.label }))}
          error={errors?.fields.temp_zone}
        />
        {location && <Checkbox label="Active" checked={active} onChange={setActive} />}
        <div className="flex gap-2">
          <Button type="submit" disabled={save.isPending}>
            Save
          </Button>
          <Button kind="secondary" onClick={onDone}>
            Cancel
          </Button>
        </div>
      </form>
    </Screen>
  );
}
