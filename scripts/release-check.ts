// Before a release is tagged, and again on the tag in .github/workflows/release.yml: the tag,
// package.json, CHANGELOG.md and the `uses:` line init writes all name the same version. Prints
// the release notes (that version's CHANGELOG section), or writes them to --notes FILE. See
// RELEASING.md. Exit 2 with every problem named, and nothing written, when they disagree.
//   node scripts/release-check.ts v0.1.0 [--notes FILE]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ACTION_REF } from "../action/cli/init.ts";

const REPOSITORY = "https://github.com/autoexp/autoexp";

/** What a release tag, its files and init's `uses:` must agree on. */
export interface ReleaseFacts {
  tag: string;
  packageVersion: string;
  changelog: string;
  actionRef: string;
}

/** The text under `## [version] - date` in a Keep a Changelog file (null: no such section). */
export function changelogSection(changelog: string, version: string): string | null {
  const lines = changelog.split("\n");
  const heading = new RegExp(`^## \\[${version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && /^## |^\[[^\]]+\]: /.test(l));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
}

/** Every way the facts disagree, each naming the file or field, the value and the fix. */
export function releaseProblems(facts: ReleaseFacts): string[] {
  const m = /^v(\d+\.\d+\.\d+)$/.exec(facts.tag);
  if (!m)
    return [
      `tag "${facts.tag}": a release tag is v<major>.<minor>.<patch> (e.g. v0.1.0); tag again with that name`,
    ];
  const version = m[1]!;
  const problems: string[] = [];
  if (facts.packageVersion !== version)
    problems.push(
      `package.json version "${facts.packageVersion}" is not the tag's ${version}: run \`npm version ${version} --no-git-tag-version\` and commit before tagging`,
    );
  const section = changelogSection(facts.changelog, version);
  if (section === null)
    problems.push(
      `CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section: move the Unreleased entries under it, dated the day of the tag`,
    );
  else if (section === "")
    problems.push(
      `CHANGELOG.md's [${version}] section is empty: say what the release adds, changes and fixes`,
    );
  const link = `[${version}]: ${REPOSITORY}/releases/tag/v${version}`;
  if (!facts.changelog.split("\n").includes(link))
    problems.push(`CHANGELOG.md has no link line for the release: add "${link}" at its end`);
  const ref = `autoexp/autoexp@v${version}`;
  if (facts.actionRef !== ref)
    problems.push(
      `action/cli/init.ts ACTION_REF "${facts.actionRef}" is not ${ref}: the workflows init writes would run another release; set it (and the README's uses: and #v lines) to ${ref}`,
    );
  return problems;
}

if (import.meta.main) {
  const root = join(import.meta.dirname, "..");
  const args = process.argv.slice(2);
  const at = args.indexOf("--notes");
  const notes = at >= 0 ? args[at + 1] : undefined;
  const tag = args.find((a, i) => !a.startsWith("--") && (at < 0 || i !== at + 1));
  if (!tag || (at >= 0 && !notes)) {
    console.error("usage: node scripts/release-check.ts vX.Y.Z [--notes FILE]");
    process.exit(2);
  }
  const changelog = readFileSync(join(root, "CHANGELOG.md"), "utf8");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const problems = releaseProblems({
    tag,
    packageVersion: pkg.version,
    changelog,
    actionRef: ACTION_REF,
  });
  if (problems.length > 0) {
    console.error(`release ${tag}: ${problems.length} problem(s); nothing was written`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(2);
  }
  const text = `${changelogSection(changelog, tag.slice(1))}\n`;
  if (notes) writeFileSync(notes, text);
  else process.stdout.write(text);
}
