import { describe, expect, it } from "vitest";
import { checkRequest } from "../helpers/openapi.ts";

const u = (path: string) => new URL(path, "http://127.0.0.1");

describe("the fake GitHub's check against the official REST description", () => {
  it("accepts what GitHub accepts", () => {
    expect(
      checkRequest("POST", u("/repos/o/r/pulls"), {
        title: "t",
        head: "autoexp/x",
        base: "main",
        body: "b",
        draft: true,
      }).problems,
    ).toEqual([]);
    expect(
      checkRequest("GET", u("/repos/o/r/pulls?head=o:autoexp/x&state=all&per_page=100"), undefined)
        .operationId,
    ).toBe("pulls/list");
    expect(
      checkRequest("GET", u("/repos/o/r/contents/.autoexp/x/log.jsonl?ref=autoexp/x"), undefined),
    ).toMatchObject({
      operationId: "repos/get-content",
      params: { path: ".autoexp/x/log.jsonl" },
      problems: [],
    });
  });

  it.each([
    ["an unknown endpoint", "GET", "/repos/o/r/pullz", undefined, "no such endpoint"],
    ["a wrong method", "DELETE", "/repos/o/r/pulls", undefined, "DELETE is not allowed"],
    [
      "an unknown query parameter",
      "GET",
      "/repos/o/r/pulls?sate=all",
      undefined,
      "takes no query parameter sate",
    ],
    ["a bad enum value", "GET", "/repos/o/r/pulls?state=merged", undefined, "must be one of"],
    [
      "a wrong body type",
      "POST",
      "/repos/o/r/pulls",
      { title: 1, head: "h", base: "b" },
      "body.title must be a string",
    ],
    [
      "a missing required field",
      "POST",
      "/repos/o/r/actions/workflows/a.yml/dispatches",
      { inputs: {} },
      "body.ref is required",
    ],
    [
      "too many workflow inputs",
      "POST",
      "/repos/o/r/actions/workflows/a.yml/dispatches",
      {
        ref: "main",
        inputs: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`i${i}`, "x"])),
      },
      "more than 25 properties",
    ],
    [
      "an unknown reaction",
      "POST",
      "/repos/o/r/issues/comments/5/reactions",
      { content: "party" },
      "must be one of",
    ],
    [
      "a non-integer path id",
      "PATCH",
      "/repos/o/r/pulls/abc",
      { title: "t" },
      "must be an integer",
    ],
  ])("refuses %s", (_what, method, path, body, problem) => {
    const checked = checkRequest(method, u(path), body);
    expect(checked.problems.join("; ")).toContain(problem);
  });
});
