// A form over one mutation: the API's errors in words, and a submit handler that stays on the page.
import type { FormEvent } from "react";
import { formErrors, type FormErrors } from "./problems";

export function formOf(mutation: { isError: boolean; error: unknown; mutate: () => void }): {
  errors: FormErrors | null;
  submit: (event: FormEvent) => void;
} {
  return {
    errors: mutation.isError ? formErrors(mutation.error) : null,
    submit: (event) => {
      event.preventDefault();
      mutation.mutate();
    },
  };
}
