import { listBranches } from "../git/commands/refs.ts";
import type { Git } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";

/**
 * Why `tag` has no record here, as status, verify, attribute and split all say it: a split
 * branch (`autoexp/<tag>--<n>`) is named as the change set it is, anything else with the tags
 * there are (or how to start one). Read before anything is opened: a tag that is not there leaves
 * no folder behind.
 */
export async function missingTag(
  repo: Git,
  tag: string,
  command = "status",
): Promise<AutoexpError> {
  const branches = (await repo.run(listBranches("autoexp/*"))).map((b) =>
    b.replace("autoexp/", ""),
  );
  // `autoexp split` makes autoexp/<tag>--<n>, one branch per change set: no record of its own.
  const splitOf = (b: string) => {
    const m = /^(.+)--(\d+)$/.exec(b);
    return m && branches.includes(m[1]!) ? { tag: m[1]!, group: m[2]! } : null;
  };
  const split = splitOf(tag);
  if (split)
    return new AutoexpError(
      `autoexp/${tag} is change set ${split.group} that \`autoexp split\` made from tag ${split.tag}: its record is ${split.tag}'s (autoexp ${command} --tag ${split.tag}); \`git log autoexp/${tag}\` shows its commits`,
    );
  const tags = branches.filter((b) => !splitOf(b));
  return new AutoexpError(
    `no autoexp record for tag ${tag}.${tags.length > 0 ? ` Tags here: ${tags.join(", ")} (autoexp ${command} --tag T)` : " Start one with `autoexp run`."}`,
  );
}
