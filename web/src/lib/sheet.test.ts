import { describe, expect, it } from "vitest";
import { append, move, removeAt, sameOrder } from "./sheet";

describe("editing a count sheet", () => {
  it("moves an item one place up or down, and not past either end", () => {
    expect(move(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(move(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(move(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    expect(move(["a", "b", "c"], 2, 1)).toEqual(["a", "b", "c"]);
  });

  it("adds an item once and removes by place", () => {
    expect(append(["a"], "b")).toEqual(["a", "b"]);
    expect(append(["a", "b"], "a")).toEqual(["a", "b"]);
    expect(append(["a"], "")).toEqual(["a"]);
    expect(removeAt(["a", "b", "c"], 1)).toEqual(["a", "c"]);
  });

  it("knows when there is nothing to save", () => {
    expect(sameOrder(["a", "b"], ["a", "b"])).toBe(true);
    expect(sameOrder(["a", "b"], ["b", "a"])).toBe(false);
    expect(sameOrder(["a"], ["a", "b"])).toBe(false);
  });
});
