import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { capLog, pruneLogs } from "../../action/files/cap-log.ts";
import { tempDir } from "../helpers/repo.ts";

describe("eval logs stay bounded", () => {
  it("keeps the head and the tail of a log over the cap, with a line saying what was cut", async () => {
    const path = join(tempDir(), "1-0.log");
    const head = "started training\n";
    const tail = "val_bpb: 0.99\n";
    writeFileSync(path, head + "x".repeat(12 * 1024 * 1024) + tail);
    const cut = await capLog(path, 4 * 1024 * 1024);
    const text = readFileSync(path, "utf8");
    expect(statSync(path).size).toBeLessThan(4 * 1024 * 1024 + 200);
    expect(text.startsWith(head)).toBe(true);
    expect(text.endsWith(tail)).toBe(true);
    expect(text).toContain(`[autoexp: ${cut} bytes of output cut here`);
  });

  it("leaves a small log as it is", async () => {
    const path = join(tempDir(), "1-0.log");
    writeFileSync(path, "score: 1\n");
    expect(await capLog(path)).toBe(0);
    expect(readFileSync(path, "utf8")).toBe("score: 1\n");
  });

  it("prunes the logs of old experiments, never the baseline's", async () => {
    const dir = tempDir();
    for (const name of ["0-0.log", "0-1.log", "3-0.log", "3-checks.log", "9-0.log", "9-re10-0.log"])
      writeFileSync(join(dir, name), "x");
    expect(await pruneLogs(dir, 5)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(["0-0.log", "0-1.log", "9-0.log", "9-re10-0.log"]);
  });
});
