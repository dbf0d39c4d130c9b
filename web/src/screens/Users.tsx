// Users (admin): list, create, change role or name, deactivate.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, idempotencyKey, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { CsvDownload } from "../components/CsvDownload";
import { Button, Checkbox, ErrorMessage, Field, Loading, Screen, SelectField } from "../components/ui";
import type { Role } from "../lib/nav";
import { formErrors } from "../lib/problems";

type User = components["schemas"]["User"];
const ROLES: Array<{ value: Role; label: string }> = [
  { value: "admin", label: "Admin" },
  { value: "manager", label: "Manager" },
  { value: "counter", label: "Counter" },
  { value: "viewer", label: "Viewer" },
];

export default function Users() {
  const users = useQuery({
    queryKey: ["users"],
    queryFn: async () => unwrap(await api.GET("/v1/users", { params: { query: { limit: 200 } } })),
  });
  const [editing, setEditing] = useState<User | "new" | null>(null);
  if (editing) return <UserForm user={editing === "new" ? null : editing} onDone={() => setEditing(null)} />;
  return (
    <Screen
      title="Users"
      actions={
        <span className="flex flex-wrap gap-2">
          <CsvDownload path="/v1/users" what="users" />
          <Button onClick={() => setEditing("new")}>New user</Button>
        </span>
      }
    >
      {users.isError && <ErrorMessage errors={formErrors(users.error)} />}
      {users.isPending ? (
        <Loading what="users" />
      ) : (
        <ul className="divide-y divide-stone-200 rounded-md border border-stone-300 bg-white" aria-label="Users">
          {users.data?.data.map((user) => (
            <li key={user.id} className="flex items-center justify-between gap-3 px-3 py-2">
              <div className="min-w-0">
                <p className="font-medium break-words">
                  {user.display_name}
                  {!user.active && <span className="ml-2 text-sm text-stone-500">(inactive)</span>}
                </p>
                <p className="text-sm break-all text-stone-600">
                  {user.email} · {user.role}
                </p>
              </div>
              <Button kind="secondary" onClick={() => setEditing(user)}>
                Edit<span className="sr-only"> {user.display_name}</span>
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

function UserForm({ user, onDone }: { user: User | null; onDone: () => void }) {
  const queries = useQueryClient();
  const [email, setEmail] = useState(user?.email ?? "");
  const [name, setName] = useState(user?.display_name ?? "");
  const [role, setRole] = useState<Role>(user?.role ?? "counter");
  const [password, setPassword] = useState("");
  const [active, setActive] = useState(user?.active ?? true);
  const [key] = useState(idempotencyKey);
  const save = useMutation({
    mutationFn: async () => {
      if (!user) {
        return unwrap(
          await api.POST("/v1/users", {
            params: { header: { "Idempotency-Key": key } },
            body: { email: email.trim(), display_name: name.trim(), role, password },
          }),
        );
      }
      const current = await api.GET("/v1/users/{id}", { params: { path: { id: user.id } } });
      unwrap(current);
      return unwrap(
        await api.PATCH("/v1/users/{id}", {
          params: { path: { id: user.id }, header: { "If-Match": current.response.headers.get("ETag") ?? undefined } },
          body: { display_name: name.trim(), role, active },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["users"] });
      onDone();
    },
  });
  const errors = save.isError ? formErrors(save.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Screen title={user ? `Edit ${user.display_name}` : "New user"}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorMessage errors={errors} />
        {!user && (
          <Field label="Email" type="email" inputMode="email" value={email} onChange={setEmail} error={errors?.fields.email} />
        )}
        <Field label="Name" value={name} onChange={setName} error={errors?.fields.display_name} />
        <SelectField label="Role" value={role} onChange={(v) => setRole(v as Role)} options={ROLES} error={errors?.fields.role} />
        {!user && (
          <Field
            label="Password (at least 12 characters)"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={setPassword}
            error={errors?.fields.password}
          />
        )}
        {user && <Checkbox label="Active" checked={active} onChange={setActive} />}
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
