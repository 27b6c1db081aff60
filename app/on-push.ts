import type { Context } from "probot";
import { tagOfRef } from "./list-tags.ts";
import { syncTag } from "./sync-tag.ts";

/** A push to autoexp/<tag> (or its deletion) brings the tag's PR in line with the ledger. */
export async function onPush(context: Context<"push">): Promise<void> {
  const tag = tagOfRef(context.payload.ref);
  if (tag === null) return;
  await syncTag(
    context.octokit,
    context.repo(),
    defaultBranchOf(context),
    tag,
    context.payload.deleted,
  );
}

function defaultBranchOf(context: Context<"push">): string {
  return (
    (context.payload.repository as { default_branch?: string; master_branch?: string })
      .default_branch ?? "main"
  );
}
