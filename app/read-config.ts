import { parse as parseYaml } from "yaml";
import { validateConfig } from "../action/config/validate-config.ts";
import type { Octokit, Repo } from "./github-types.ts";
import { readFile } from "./read-file.ts";

const CONFIG_PATHS = ["autoexp.yml", ".github/autoexp.yml"];

/** autoexp.yml (or .github/autoexp.yml, or the path given) from the default branch only. */
export async function readConfig(
  octokit: Octokit,
  repo: Repo,
  base: string,
  path?: string,
): Promise<{ ok: true; name: string; path: string } | { ok: false; reason: string }> {
  for (const candidate of path ? [path] : CONFIG_PATHS) {
    const text = await readFile(octokit, repo, base, candidate);
    if (text === null) continue;
    let raw: unknown;
    try {
      raw = parseYaml(text);
    } catch {
      return { ok: false, reason: `\`${candidate}\` on \`${base}\` is not valid YAML` };
    }
    const result = validateConfig(raw);
    if (!result.ok)
      return {
        ok: false,
        reason: `\`${candidate}\` on \`${base}\` is not a valid autoexp config (${result.problems[0]?.path}: ${result.problems[0]?.message})`,
      };
    return { ok: true, name: result.config.name, path: candidate };
  }
  return {
    ok: false,
    reason: `no ${path ? `\`${path}\`` : "`autoexp.yml` or `.github/autoexp.yml`"} on \`${base}\``,
  };
}
