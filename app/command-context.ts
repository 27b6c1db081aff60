import type { Octokit, Repo } from "./github-types.ts";

/** Where a command came from and how to answer it. */
export interface CommandContext {
  octokit: Octokit;
  repo: Repo;
  /** The default branch: configs are read and workflows dispatched there only. */
  base: string;
  workflow: string;
  /** "@login", to address the answer. */
  who: string;
  /** Answers in the sticky comment; returns its id. */
  say: (text: string) => Promise<number>;
  commentId: number;
  issue: number;
  now: () => number;
}
