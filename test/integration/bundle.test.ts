// The bundles as scripts/build.ts makes them, built fresh into a temporary folder (dist/ itself is
// rebuilt and committed separately): what they leave out, what they still do, the licence
// notices of what they carry, and the dist check that keeps the committed copy honest.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLES,
  bundle,
  englishOnlyZod,
  leaveOutOidc,
  NOTICES,
  REQUIRE,
  ROOT,
} from "../../scripts/bundle.ts";
import { tempDir } from "../helpers/repo.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
let out: string;

beforeAll(async () => {
  // Not a tempDir(): those go after each test, and every test here reads the build.
  out = mkdtempSync(join(tmpdir(), "autoexp-bundle-"));
  await bundle(out);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const node = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 30_000,
  });

/** The packages a bundle carries, by esbuild's `// node_modules/<package>/<file>` markers. */
function packagesIn(file: string): Set<string> {
  const text = readFileSync(join(out, file), "utf8");
  return new Set(
    [...text.matchAll(/^\/\/ node_modules\/((?:@[^/\n]+\/)?[^/\n]+)\//gm)].map((m) => m[1]!),
  );
}

describe("the bundles", () => {
  it("carry no undici, tunnel, @actions/http-client or zod locale but English", () => {
    for (const name of BUNDLES) {
      const text = readFileSync(join(out, `${name}.js`), "utf8");
      expect(text, name).not.toMatch(
        /^\/\/ node_modules\/(undici|tunnel|@actions\/http-client)\//m,
      );
      const locales = [...text.matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/(\S+)$/gm)];
      expect(
        locales.map((m) => m[1]),
        name,
      ).toEqual(["en.js"]);
    }
    // The Action is under 1.5 MB (2.3 MB with the OIDC client and every locale).
    expect(readFileSync(join(out, "action.js")).length).toBeLessThan(1_500_000);
  });

  it("still start: the CLI prints its version, the Action names a bad input and exits 2", () => {
    const version = node([join(out, "cli.js"), "--version"]);
    expect(version.stdout.trim()).toBe(pkg.version);
    expect(version.status).toBe(0);
    const action = node([join(out, "action.js")], { INPUT_MODE: "bogus" });
    expect(action.stdout).toContain(
      'input mode: mode must be run, verify, attribute, split or publish, not "bogus"',
    );
    expect(action.status).toBe(2);
  });

  it("write zod's English messages exactly as the full zod does; a left-out part says what it is", async () => {
    // Every issue code en.js words, bundled with and without the stubs.
    const probe = `
      import { z } from "zod";
      import * as core from "@actions/core";
      const schema = z.object({
        type: z.number(), small: z.string().min(5), big: z.array(z.number()).max(1),
        format: z.email(), multiple: z.number().multipleOf(3), value: z.enum(["a", "b"]),
        literal: z.literal(4), union: z.union([z.string(), z.number()]),
        key: z.record(z.string().regex(/^k/), z.number()), map: z.map(z.string(), z.number()),
        custom: z.string().refine((s) => s === "ok"), nested: z.object({ deep: z.boolean() }),
      }).strict();
      const input = { type: "1", small: "ab", big: [1, 2], format: "not-mail", multiple: 4,
        value: "c", literal: 5, union: true, key: { x: 1 }, map: new Map([["m", "x"]]),
        custom: "no", nested: { deep: 0 }, extra: 1 };
      console.log(z.prettifyError(schema.safeParse(input).error));
      console.log(JSON.stringify(schema.safeParse(input).error.issues.map((i) => i.message)));
      if (process.argv[2] === "stubs") {
        try { z.locales.de(); } catch (e) { console.log(e.message); }
        await core.getIDToken("aud").catch((e) => console.log(e.message));
      }
    `;
    const dir = tempDir();
    const outputs: string[] = [];
    for (const plugins of [[], [leaveOutOidc, englishOnlyZod]]) {
      const file = join(dir, `probe-${plugins.length}.mjs`);
      await build({
        stdin: { contents: probe, resolveDir: ROOT, loader: "js" },
        outfile: file,
        bundle: true,
        platform: "node",
        format: "esm",
        logLevel: "silent",
        banner: { js: REQUIRE },
        plugins,
      });
      const run = node([file, plugins.length > 0 ? "stubs" : ""]);
      expect(run.stderr).toBe("");
      outputs.push(run.stdout);
    }
    const [full, trimmed] = outputs as [string, string];
    expect(full).toContain("✖ Invalid input: expected number, received string\n  → at type");
    expect(full).toContain("Too small: expected string to have >=5 characters");
    expect(full).toContain('Unrecognized key: "extra"');
    expect(trimmed.startsWith(full)).toBe(true);
    expect(trimmed.slice(full.length)).toBe(
      [
        "zod locale de: autoexp's bundle carries English only; to use another, drop englishOnlyZod in scripts/bundle.ts",
        "core.getIDToken: autoexp's bundle leaves out @actions/core's OIDC client (and @actions/http-client, undici) because autoexp never asks for an ID token; to use one, drop leaveOutOidc in scripts/bundle.ts",
        "",
      ].join("\n"),
    );
  });
});

describe(NOTICES, () => {
  const sections = () =>
    readFileSync(join(out, NOTICES), "utf8")
      .split(`${"-".repeat(80)}\n`)
      .slice(1);

  it("names every package a bundle carries, its version, licence, the bundles, and its licence text", () => {
    const listed = new Map(sections().map((s) => [/^(\S+) /.exec(s)![1]!, s] as const));
    const carried = new Map<string, string[]>();
    for (const name of BUNDLES)
      for (const p of packagesIn(`${name}.js`))
        carried.set(p, [...(carried.get(p) ?? []), `${name}.js`]);
    expect([...listed.keys()].sort()).toEqual([...carried.keys()].sort());
    expect([...carried.keys()]).toEqual(expect.arrayContaining(["zod", "yaml", "@actions/core"]));
    for (const [name, bundles] of carried) {
      const dir = join(ROOT, "node_modules", name);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        version: string;
        license: string;
      };
      const section = listed.get(name)!;
      expect(
        section.startsWith(`${name} ${manifest.version}\nLicense: ${manifest.license}\n`),
      ).toBe(true);
      expect(section).toContain(`In: ${bundles.sort().join(", ")}\n`);
      const licence = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f))!;
      expect(section).toContain(readFileSync(join(dir, licence), "utf8").trimEnd());
    }
  });

  it("is part of the dist check: a stale or missing notices file, or a stray file, fails it", () => {
    const check = () => node([join(ROOT, "scripts", "build.ts"), "--check", "--dist", out]);
    const current = check();
    expect(current.stdout).toBe("dist/ is current\n");
    expect(current.status).toBe(0);

    const notices = join(out, NOTICES);
    const text = readFileSync(notices, "utf8");
    writeFileSync(notices, text.replace(/^zod \S+/m, "zod 0.0.0"));
    const stale = check();
    expect(stale.stderr).toBe(
      `dist/ is stale (${NOTICES}): run \`npm run build\` and commit dist/\n`,
    );
    expect(stale.status).toBe(1);

    writeFileSync(notices, text);
    writeFileSync(join(out, "old.js"), "");
    const stray = check();
    expect(stray.stderr).toContain("old.js, which the build does not make");
    expect(stray.status).toBe(1);
  });
});
