import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { checkRequest } from "./openapi.ts";

/**
 * GitHub's REST API for the few endpoints the App uses, in memory, on loopback. Every request is
 * first checked against GitHub's official description (test/helpers/openapi.ts): a request GitHub
 * would reject is answered 422 and recorded in `violations`, which tests assert to be empty.
 */
export interface FakeGitHub {
  url: string;
  owner: string;
  repo: string;
  /** Branch -> path -> content. */
  files: Map<string, Map<string, string>>;
  /** login -> role_name (admin, maintain, write, triage, read); absent: none. */
  roles: Map<string, string>;
  pulls: Pull[];
  comments: Comment[];
  reactions: { comment_id: number; content: string }[];
  dispatches: { workflow_id: string; ref: string; inputs: Record<string, string> }[];
  runs: Run[];
  cancelled: number[];
  statuses: Status[];
  /**
   * Called with each status created, and awaited before GitHub's answer goes back: what GitHub
   * then does (send the `status` webhook to the App) is done by the time the poster goes on.
   */
  onStatus: ((status: Status) => Promise<void>) | null;
  requests: { method: string; path: string; operationId: string }[];
  violations: string[];
  /** Extra latency per request, to mimic GitHub (0 by default). */
  latencyMs: number;
  close(): Promise<void>;
}

export interface Pull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
  state: "open" | "closed";
  merged: boolean;
  labels: string[];
}

export interface Comment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
}

export interface Run {
  id: number;
  display_title: string;
  status: "queued" | "in_progress" | "completed";
  html_url: string;
  /** The workflow file, as GitHub names it: .github/workflows/autoexp.yml. */
  path?: string;
}

/** A commit status, as POST /repos/{owner}/{repo}/statuses/{sha} created it. */
export interface Status {
  id: number;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  target_url: string | null;
}

const servers: Server[] = [];
// Cleanup after each test when run by vitest; benches import these helpers too.
if (process.env.VITEST) {
  const { afterEach } = await import("vitest");
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(() => r(null)))));
  });
}

export async function startFakeGitHub(
  options: { owner?: string; repo?: string } = {},
): Promise<FakeGitHub> {
  const owner = options.owner ?? "octo-org";
  const repo = options.repo ?? "octo-repo";
  let nextId = 1000;
  const fake: Omit<FakeGitHub, "url" | "close"> = {
    owner,
    repo,
    files: new Map([["main", new Map()]]),
    roles: new Map(),
    pulls: [],
    comments: [],
    reactions: [],
    dispatches: [],
    runs: [],
    cancelled: [],
    statuses: [],
    onStatus: null,
    requests: [],
    violations: [],
    latencyMs: 0,
  };
  const base = () => `https://github.com/${owner}/${repo}`;
  const pullJson = (p: Pull) => ({
    url: `https://api.github.com/repos/${owner}/${repo}/pulls/${p.number}`,
    id: p.number * 7,
    number: p.number,
    state: p.state,
    title: p.title,
    body: p.body,
    draft: p.draft,
    merged: p.merged,
    merged_at: p.merged ? "2026-11-23T08:00:00Z" : null,
    html_url: `${base()}/pull/${p.number}`,
    head: { ref: p.head, label: `${owner}:${p.head}` },
    base: { ref: p.base, label: `${owner}:${p.base}` },
    labels: p.labels.map((name) => ({ name })),
  });
  const commentJson = (c: Comment) => ({
    id: c.id,
    body: c.body,
    user: { login: c.user, type: c.user.endsWith("[bot]") ? "Bot" : "User" },
    html_url: `${base()}/issues/${c.issue_number}#issuecomment-${c.id}`,
  });

  type Reply = { status: number; body?: unknown; raw?: string };
  const handle = (
    op: string,
    params: Record<string, string>,
    url: URL,
    body: Record<string, unknown>,
  ): Reply => {
    const num = (k: string) => Number(params[k]);
    switch (op) {
      case "apps/create-installation-access-token":
        return {
          status: 201,
          body: {
            token: "ghs_faketoken",
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            permissions: {},
            repository_selection: "all",
          },
        };
      case "repos/get":
        return {
          status: 200,
          body: {
            id: 1,
            name: repo,
            full_name: `${owner}/${repo}`,
            default_branch: "main",
            html_url: base(),
          },
        };
      case "repos/get-content": {
        const ref = url.searchParams.get("ref") ?? "main";
        const content = fake.files.get(ref)?.get(params.path!);
        if (content === undefined) return { status: 404, body: { message: "Not Found" } };
        return { status: 200, raw: content };
      }
      case "git/list-matching-refs": {
        const prefix = `refs/${params.ref}`;
        const refs = [...fake.files.keys()]
          .map((b) => `refs/heads/${b}`)
          .filter((r) => r.startsWith(prefix));
        return {
          status: 200,
          body: refs.map((ref) => ({
            ref,
            node_id: "x",
            url: "x",
            object: { sha: "0".repeat(40), type: "commit", url: "x" },
          })),
        };
      }
      case "pulls/list": {
        const head = url.searchParams.get("head");
        const state = url.searchParams.get("state") ?? "open";
        const list = fake.pulls.filter(
          (p) => (!head || `${owner}:${p.head}` === head) && (state === "all" || p.state === state),
        );
        return { status: 200, body: list.map(pullJson) };
      }
      case "pulls/create": {
        if (fake.pulls.some((p) => p.head === body.head && p.state === "open"))
          return {
            status: 422,
            body: { message: `A pull request already exists for ${owner}:${String(body.head)}.` },
          };
        if (!fake.files.has(String(body.head)))
          return { status: 422, body: { message: "head: invalid" } };
        const p: Pull = {
          number: fake.pulls.length + fake.comments.length + 1,
          title: String(body.title),
          body: String(body.body ?? ""),
          head: String(body.head),
          base: String(body.base),
          draft: Boolean(body.draft),
          state: "open",
          merged: false,
          labels: [],
        };
        fake.pulls.push(p);
        return { status: 201, body: pullJson(p) };
      }
      case "pulls/update": {
        const p = fake.pulls.find((x) => x.number === num("pull_number"));
        if (!p) return { status: 404, body: { message: "Not Found" } };
        if (typeof body.title === "string") p.title = body.title;
        if (typeof body.body === "string") p.body = body.body;
        if (body.state === "open" || body.state === "closed") p.state = body.state;
        return { status: 200, body: pullJson(p) };
      }
      case "issues/add-labels": {
        const p = fake.pulls.find((x) => x.number === num("issue_number"));
        if (p)
          for (const l of (body.labels as string[]) ?? [])
            if (!p.labels.includes(l)) p.labels.push(l);
        return { status: 200, body: (p?.labels ?? []).map((name) => ({ name })) };
      }
      case "issues/list-comments": {
        const list = fake.comments.filter((c) => c.issue_number === num("issue_number"));
        return { status: 200, body: list.map(commentJson) };
      }
      case "issues/create-comment": {
        const c: Comment = {
          id: nextId++,
          issue_number: num("issue_number"),
          body: String(body.body),
          user: "autoexp[bot]",
        };
        fake.comments.push(c);
        return { status: 201, body: commentJson(c) };
      }
      case "issues/update-comment": {
        const c = fake.comments.find((x) => x.id === num("comment_id"));
        if (!c) return { status: 404, body: { message: "Not Found" } };
        c.body = String(body.body);
        return { status: 200, body: commentJson(c) };
      }
      case "reactions/create-for-issue-comment": {
        const exists = fake.reactions.some(
          (r) => r.comment_id === num("comment_id") && r.content === body.content,
        );
        if (!exists)
          fake.reactions.push({ comment_id: num("comment_id"), content: String(body.content) });
        return {
          status: exists ? 200 : 201,
          body: { id: 1, content: body.content, user: { login: "autoexp[bot]" } },
        };
      }
      case "repos/get-collaborator-permission-level": {
        const role = fake.roles.get(params.username!);
        if (!role) return { status: 404, body: { message: `${params.username} is not a user` } };
        const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
        return {
          status: 200,
          body: { permission, role_name: role, user: { login: params.username } },
        };
      }
      case "actions/create-workflow-dispatch": {
        const inputs = (body.inputs ?? {}) as Record<string, string>;
        fake.dispatches.push({ workflow_id: params.workflow_id!, ref: String(body.ref), inputs });
        const id = 9000 + fake.dispatches.length;
        // The run-name of autoexp init's workflow.
        const command = inputs.command && inputs.command !== "run" ? `${inputs.command} ` : "";
        const request = inputs.request ? ` (request ${inputs.request})` : "";
        fake.runs.push({
          id,
          display_title: `autoexp ${command}${inputs.tag || "nightly"}${request}`,
          status: "queued",
          html_url: `${base()}/actions/runs/${id}`,
          path: `.github/workflows/${params.workflow_id}`,
        });
        return body.return_run_details
          ? {
              status: 200,
              body: {
                workflow_run_id: id,
                run_url: `https://api.github.com/repos/${owner}/${repo}/actions/runs/${id}`,
                html_url: `${base()}/actions/runs/${id}`,
              },
            }
          : { status: 204 };
      }
      case "actions/list-workflow-runs": {
        const status = url.searchParams.get("status");
        const list = fake.runs.filter((r) => !status || r.status === status);
        return {
          status: 200,
          body: {
            total_count: list.length,
            workflow_runs: list.map((r) => ({
              id: r.id,
              display_title: r.display_title,
              status: r.status,
              html_url: r.html_url,
            })),
          },
        };
      }
      case "actions/get-workflow-run": {
        const r = fake.runs.find((x) => x.id === num("run_id"));
        if (!r) return { status: 404, body: { message: "Not Found" } };
        return {
          status: 200,
          body: {
            id: r.id,
            display_title: r.display_title,
            status: r.status,
            html_url: r.html_url,
            path: r.path ?? ".github/workflows/autoexp.yml",
          },
        };
      }
      case "repos/create-commit-status": {
        const st: Status = {
          id: nextId++,
          sha: params.sha!,
          state: String(body.state),
          context: String(body.context ?? "default"),
          description: typeof body.description === "string" ? body.description : null,
          target_url: typeof body.target_url === "string" ? body.target_url : null,
        };
        fake.statuses.push(st);
        return { status: 201, body: { ...st, url: `${base()}/statuses/${st.sha}` } };
      }
      case "actions/cancel-workflow-run": {
        const r = fake.runs.find((x) => x.id === num("run_id"));
        if (!r || r.status === "completed")
          return {
            status: 409,
            body: { message: "Cannot cancel a workflow run that is completed." },
          };
        fake.cancelled.push(r.id);
        return { status: 202, body: {} };
      }
      default:
        return { status: 501, body: { message: `the fake does not implement ${op}` } };
    }
  };

  const server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => {
      data += c;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      let body: Record<string, unknown> | undefined;
      try {
        body = data ? JSON.parse(data) : undefined;
      } catch {
        fake.violations.push(`${req.method} ${url.pathname}: the body is not JSON`);
      }
      const checked = checkRequest(req.method ?? "GET", url, body);
      fake.requests.push({
        method: req.method ?? "",
        path: url.pathname + url.search,
        operationId: checked.operationId,
      });
      const auth = req.headers.authorization ?? "";
      if (
        checked.operationId !== "apps/create-installation-access-token" &&
        auth !== "token ghs_faketoken" &&
        auth !== "Bearer ghs_faketoken"
      )
        checked.problems.push(
          `${checked.operationId} without the installation token (authorization: ${auth.slice(0, 20)})`,
        );
      for (const p of checked.problems)
        fake.violations.push(`${req.method} ${url.pathname}${url.search}: ${p}`);
      const reply: Reply =
        checked.problems.length > 0
          ? { status: 422, body: { message: checked.problems.join("; ") } }
          : handle(checked.operationId, checked.params, url, body ?? {});
      const created =
        checked.operationId === "repos/create-commit-status" && reply.status === 201
          ? fake.statuses.at(-1)
          : undefined;
      const delivered = (
        created && fake.onStatus ? fake.onStatus(created) : Promise.resolve()
      ).catch((error: unknown) => {
        fake.violations.push(`the status webhook failed: ${String(error)}`);
      });
      void delivered.then(() =>
        setTimeout(() => {
          if (reply.raw !== undefined) {
            res.writeHead(reply.status, { "content-type": "application/vnd.github.raw" });
            res.end(reply.raw);
          } else if (reply.body === undefined) {
            res.writeHead(reply.status);
            res.end();
          } else {
            res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify(reply.body));
          }
        }, fake.latencyMs),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
