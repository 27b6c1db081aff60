import type { Context } from "probot";

/** The installation's client, as Probot hands it to each event. */
export type Octokit = Context["octokit"];

/** The owner and name every repository request takes. */
export interface Repo {
  owner: string;
  repo: string;
}
