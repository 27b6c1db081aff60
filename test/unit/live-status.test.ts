import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { BatchEvent } from "../../action/engine/events.ts";
import { createLiveStatus } from "../../action/github/live-status.ts";

// The Action's live status, posted to a real loopback server standing in for the statuses API.
const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function statusesApi() {
  const posted: { url: string; body: { context: string; description: string; state: string } }[] =
    [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      posted.push({ url: req.url!, body: JSON.parse(text) });
      res.writeHead(201, { "content-type": "application/json" }).end("{}");
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { posted, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function live(url: string, line?: { index: number; of: number }) {
  return createLiveStatus({
    token: "t0k",
    apiUrl: url,
    repository: "o/r",
    sha: "a".repeat(40),
    tag: "night",
    ...(line ? { line } : {}),
    targetUrl: "https://github.com/o/r/actions/runs/1",
    everyMs: 0,
    metric: "loss",
    log: () => {},
  });
}

const experiment = (index: number, best: number) =>
  ({ type: "experiment", index, of: 10, best }) as unknown as BatchEvent;

describe("the live status of a batch", () => {
  it("is autoexp/<tag> for one batch, and autoexp/<tag>/line-<i> saying 'line i/K' for a matrix line", async () => {
    const api = await statusesApi();
    const one = live(api.url);
    one.event(experiment(2, 0.5));
    await one.checkpoint();
    const line = live(api.url, { index: 2, of: 3 });
    line.event(experiment(3, 0.4));
    await line.checkpoint();
    await line.finish(true);
    expect(api.posted.map((p) => p.url)).toEqual([
      `/repos/o/r/statuses/${"a".repeat(40)}`,
      `/repos/o/r/statuses/${"a".repeat(40)}`,
      `/repos/o/r/statuses/${"a".repeat(40)}`,
    ]);
    expect(api.posted[0]!.body).toMatchObject({ context: "autoexp/night", state: "pending" });
    expect(api.posted[0]!.body.description).toMatch(/^2\/10 experiments · best loss 0\.5/);
    expect(api.posted[1]!.body).toMatchObject({ context: "autoexp/night/line-2" });
    expect(api.posted[1]!.body.description).toMatch(/^line 2\/3 · 3\/10 experiments/);
    expect(api.posted[2]!.body).toMatchObject({
      context: "autoexp/night/line-2",
      state: "success",
    });
    expect(api.posted[2]!.body.description).toMatch(/^line 2\/3 · done: /);
  });
});
