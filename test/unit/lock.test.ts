import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { takeLock } from "../../action/engine/lock.ts";
import { AutoexpError } from "../../action/util/errors.ts";
import { tempDir } from "../helpers/repo.ts";

describe("takeLock called twice at once in one process", () => {
  it("gives the lock to one call and the clear AutoexpError to the other, every time", async () => {
    const path = join(tempDir(), "lock");
    const losers: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const settled = await Promise.allSettled([takeLock(path, "t"), takeLock(path, "t")]);
      for (const s of settled) {
        if (s.status === "fulfilled") await s.value.release();
        else losers.push(s.reason);
      }
    }
    expect(losers).toHaveLength(300);
    expect(losers.filter((e) => !(e instanceof AutoexpError)).map(String)).toEqual([]);
  });
});
