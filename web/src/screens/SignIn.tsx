import { useState, type FormEvent } from "react";
import { session } from "../auth/session";
import { Button, ErrorMessage, Field } from "../components/ui";
import { ApiError, formErrors, type FormErrors } from "../lib/problems";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors(null);
    try {
      await session.signIn(email, password);
    } catch (error) {
      // A 401 here is a refused sign-in (the API answers alike for an unknown email and a wrong password).
      const refused = error instanceof ApiError && error.status === 401;
      setErrors(refused ? { message: "Wrong email or password.", fields: {} } : formErrors(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="mx-auto max-w-sm px-4 py-10">
      <h1 className="mb-6 text-2xl font-semibold text-emerald-800">NeuroPilot</h1>
      <form onSubmit={(event) => void submit(event)} className="space-y-4" noValidate>
        <ErrorMessage errors={errors} />
        <Field
          label="Email"
          type="email"
          inputMode="email"
          autoComplete="username"
          value={email}
          onChange={setEmail}
          error={errors?.fields.email}
          required
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={errors?.fields.password}
          required
        />
        <Button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </main>
  );
}
