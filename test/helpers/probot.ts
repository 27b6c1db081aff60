import { generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { type AppOptions, createApp } from "../../app/index.ts";
import { examplePayload } from "./action.ts";
import type { FakeGitHub } from "./fake-github.ts";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

export const SECRET = "test-webhook-secret";

/**
 * A real Probot instance with the autoexp app loaded, talking to the fake GitHub. The function
 * form of ProbotOctokit.defaults keeps Probot from turning throttling back on (so tests do not
 * wait a second between writes) and points every request at the fake.
 */
export async function startApp(fake: FakeGitHub, options: AppOptions = {}): Promise<Probot> {
  const probot = new Probot({
    appId: 123,
    privateKey,
    secret: SECRET,
    logLevel: "fatal",
    Octokit: ProbotOctokit.defaults((instance: Record<string, unknown>) => ({
      ...instance,
      baseUrl: fake.url,
      throttle: { enabled: false },
      retry: { enabled: false },
    })),
  });
  await probot.load(createApp(options));
  return probot;
}

/** A real example payload of `name` for the fake's repository, with fields overridden. */
export function payload(
  name: string,
  fake: FakeGitHub,
  patch: (p: Record<string, any>) => void = () => {},
): Record<string, any> {
  const p = examplePayload(name) as Record<string, any>;
  p.repository = {
    ...p.repository,
    name: fake.repo,
    full_name: `${fake.owner}/${fake.repo}`,
    default_branch: "main",
    owner: { ...p.repository.owner, login: fake.owner },
  };
  p.installation = { id: 42, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" };
  patch(p);
  return p;
}

/** An issue_comment.created payload for `body` by `login`. */
export function commentPayload(
  fake: FakeGitHub,
  body: string,
  login = "alice",
  overrides: { type?: string; action?: string; commentId?: number } = {},
) {
  return payload("issue_comment", fake, (p) => {
    p.action = overrides.action ?? "created";
    p.comment = {
      ...p.comment,
      id: overrides.commentId ?? 501,
      body,
      user: { ...p.comment.user, login, type: overrides.type ?? "User" },
    };
    p.sender = { ...p.sender, login, type: overrides.type ?? "User" };
    p.issue = { ...p.issue, number: 7 };
  });
}
