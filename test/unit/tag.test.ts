import { describe, expect, it } from "vitest";
import { defaultTag, validateTag } from "../../action/util/errors.ts";

describe("tags", () => {
  it("default to the night's date, the same for every batch of one night", () => {
    const evening = defaultTag("tiny", new Date("2026-11-23T22:00:00Z"));
    expect(evening).toBe("tiny-20261123");
    expect(defaultTag("tiny", new Date("2026-11-24T02:00:00Z"))).toBe(evening);
    expect(defaultTag("tiny", new Date("2026-11-24T11:59:00Z"))).toBe(evening);
    expect(defaultTag("tiny", new Date("2026-11-24T12:00:00Z"))).toBe("tiny-20261124");
  });

  it.each(["x;rm -rf", "--upload-pack=x", "../etc", "a..b", "UPPER", "tag.lock", "-x", "a b", ""])(
    "refuse %j",
    (tag) => {
      expect(() => validateTag(tag)).toThrow(/invalid tag/);
    },
  );

  it("accept the usual shapes", () => {
    for (const tag of ["tiny-20261123", "gpu.run_2", "a"]) expect(validateTag(tag)).toBe(tag);
  });
});
