const TAG = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The one tag rule (the CLI, the Action and the App all use it). Tags end up in branch and ref
 * names and paths: a strict pattern keeps shells and git safe. Null when the tag is fine, else
 * what is wrong with it, for people to read.
 */
export function tagProblem(tag: string): string | null {
  if (!TAG.test(tag) || tag.includes("..") || tag.endsWith(".lock") || tag.endsWith(".")) {
    return `invalid tag ${JSON.stringify(tag)}: use lowercase letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit), e.g. tiny-train-20261123`;
  }
  return null;
}
