import { describe, expect, it } from "vitest";
import { ApiError, fieldKey, formErrors, type Problem } from "./problems";

function problem(status: number, detail: string, errors?: Problem["errors"]): ApiError {
  return new ApiError(status, { type: "about:blank", title: "t", status, detail, request_id: "req-1", errors });
}

describe("problem details to words", () => {
  it("maps each named field by its JSON path, without the $.", () => {
    const found = formErrors(
      problem(422, "$.lines[2].qty: Expected `str` matching regex", [
        { path: "$.lines[2].qty", message: "Expected `str` matching regex" },
        { path: "$.email", message: "unknown field" },
      ]),
    );
    expect(found.fields).toEqual({ "lines[2].qty": "Expected `str` matching regex.", email: "Unknown field." });
    expect(found.message).toBe("Some fields need attention.");
  });

  it("keeps the first message when a path repeats", () => {
    const found = formErrors(
      problem(422, "x", [
        { path: "$.name", message: "too long" },
        { path: "$.name", message: "other" },
      ]),
    );
    expect(found.fields).toEqual({ name: "Too long." });
  });

  it("says what a status means when no field is named", () => {
    expect(formErrors(problem(409, "duplicate item_number")).message).toBe("That clashes with what is already there.");
    expect(formErrors(problem(412, "etag")).message).toMatch(/Someone changed this/);
    expect(formErrors(problem(403, "Your role may not do this.")).message).toBe("Your role may not do this.");
    expect(formErrors(problem(422, "nothing to receive")).message).toBe("Nothing to receive.");
  });

  it("gives a reference for server errors and words for a network failure", () => {
    expect(formErrors(problem(500, "boom")).message).toContain("req-1");
    expect(formErrors(new TypeError("Failed to fetch")).message).toMatch(/could not be reached/);
    expect(formErrors(new ApiError(418, null)).message).toBe("The server answered 418.");
  });

  it("strips the root of a path", () => {
    expect(fieldKey("$")).toBe("");
    expect(fieldKey("$.location_id")).toBe("location_id");
  });
});
