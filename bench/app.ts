// bench/app: the App's handling time per webhook, GitHub's latency excluded: a real Probot
// instance receives each event and talks to the in-process fake GitHub on loopback (which answers
// at once; the time of those loopback round trips is counted, so this is an upper bound).
//   node bench/app.ts [rounds=100]
import { startFakeGitHub } from "../test/helpers/fake-github.ts";
import { commentPayload, payload, startApp } from "../test/helpers/probot.ts";
import { syntheticLedger } from "../test/helpers/synthetic-ledger.ts";

const ROUNDS = Number(process.argv[2] ?? 100);
const fake = await startFakeGitHub();
fake.files
  .get("main")!
  .set(
    "autoexp.yml",
    "name: bench\ntarget: [train.py]\neval: { command: python train.py, metrics: { val_bpb: { goal: minimize } } }\n",
  );
fake.roles.set("admin", "admin");
const probot = await startApp(fake, { rateLimit: { max: 1e9, windowMs: 1 } });
const ledger = (n: number) => {
  const { header, results } = syntheticLedger(n);
  return `${[header, ...results].map((e) => JSON.stringify(e)).join("\n")}\n`;
};
const versions = [ledger(1000), ledger(1001)];
fake.files.set("autoexp/bench", new Map([[".autoexp/bench/log.jsonl", versions[0]!]]));

const times: Record<string, number[]> = {
  push: [],
  "issue_comment (run)": [],
  "issue_comment (status)": [],
  workflow_run: [],
};
const requests: Record<string, number[]> = {
  push: [],
  "issue_comment (run)": [],
  "issue_comment (status)": [],
  workflow_run: [],
};
let id = 0;
async function measure(kind: string, event: { name: string; payload: unknown }) {
  const before = fake.requests.length;
  const t0 = performance.now();
  await probot.receive({ id: `bench-${++id}`, ...event } as never);
  times[kind]!.push(performance.now() - t0);
  requests[kind]!.push(fake.requests.length - before);
}
// Warm up: the installation token, the first PR.
await measure("push", {
  name: "push",
  payload: payload("push", fake, (p) => (p.ref = "refs/heads/autoexp/bench")),
});
for (const k of Object.keys(times)) {
  times[k] = [];
  requests[k] = [];
}
for (let i = 0; i < ROUNDS; i++) {
  fake.files.get("autoexp/bench")!.set(".autoexp/bench/log.jsonl", versions[i % 2]!);
  await measure("push", {
    name: "push",
    payload: payload("push", fake, (p) => (p.ref = "refs/heads/autoexp/bench")),
  });
  await measure("issue_comment (run)", {
    name: "issue_comment",
    payload: commentPayload(fake, "/autoexp run experiments=5", "admin", { commentId: 10_000 + i }),
  });
  await measure("issue_comment (status)", {
    name: "issue_comment",
    payload: commentPayload(fake, "/autoexp status bench", "admin", { commentId: 20_000 + i }),
  });
  await measure("workflow_run", {
    name: "workflow_run",
    payload: payload("workflow_run", fake, (p) => {
      p.action = "completed";
      p.workflow_run = { ...p.workflow_run, path: ".github/workflows/autoexp.yml" };
    }),
  });
}
if (fake.violations.length > 0)
  throw new Error(`requests GitHub would reject: ${fake.violations[0]}`);
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
const all = Object.values(times).flat();
console.log(
  `bench/app: ${ROUNDS} rounds of 4 webhooks into a real Probot, ledger of 1,000 experiments, fake GitHub on loopback`,
);
for (const [kind, xs] of Object.entries(times))
  console.log(
    `  ${kind.padEnd(24)} p50 ${q(xs, 0.5).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, ${(requests[kind]!.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)} GitHub requests each`,
  );
console.log(
  `  all webhooks              p50 ${q(all, 0.5).toFixed(1)} ms, p99 ${q(all, 0.99).toFixed(1)} ms  (target: p99 < 50 ms)`,
);
await fake.close();
