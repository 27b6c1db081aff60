// What goes into dist/: the bundles, the code they leave out on purpose, and the notices of the
// third-party code they carry. scripts/build.ts writes them; bench/action builds both ways.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";

/** The repository root: every path in a metafile is relative to it. */
export const ROOT = resolve(import.meta.dirname, "..");

/** The licence notices' file, beside the bundles. */
export const NOTICES = "THIRD_PARTY_NOTICES.txt";

// The Action and the CLI carry everything they need; the App leaves probot to its host
// (`probot run` provides it), and @actions/* stays out of it.
const BUILDS = [
  { entries: { cli: "action/cli.ts", action: "action/action.ts" }, external: [] as string[] },
  { entries: { app: "app/index.ts", "app-server": "app/server.ts" }, external: ["probot"] },
];

/** Every bundle's name (dist/<name>.js). */
export const BUNDLES = BUILDS.flatMap((b) => Object.keys(b.entries));

const STUB = "autoexp-left-out";

/** Some CommonJS dependencies `require` node's modules, which an ESM bundle has no `require` for. */
export const REQUIRE =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/**
 * @actions/core imports its OIDC client at the top of core.js, and with it @actions/http-client,
 * undici and tunnel: a third of the Action's bundle for `core.getIDToken`, which autoexp never
 * calls. The stub keeps core's API whole and says so if anything ever does call it.
 */
export const leaveOutOidc: Plugin = {
  name: "leave-out-oidc",
  setup(b) {
    b.onResolve({ filter: /^\.\/oidc-utils\.js$/ }, (args) =>
      /[\\/]@actions[\\/]core[\\/]/.test(args.importer) ? { path: "oidc", namespace: STUB } : null,
    );
    b.onLoad({ filter: /^oidc$/, namespace: STUB }, () => ({
      contents: `export class OidcClient {
  static async getIDToken() {
    throw new Error("core.getIDToken: autoexp's bundle leaves out @actions/core's OIDC client (and @actions/http-client, undici) because autoexp never asks for an ID token; to use one, drop leaveOutOidc in scripts/bundle.ts");
  }
}
`,
      loader: "js",
    }));
  },
};

/**
 * zod's `z` namespace re-exports every locale (`z.locales`), so a bundle that imports `z` carries
 * 60 languages of messages. autoexp shows English only: zod's default, which its schemas import
 * straight from locales/en.js, untouched here. Any other locale throws, naming this stub.
 */
export const englishOnlyZod: Plugin = {
  name: "english-only-zod",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? // Relative to the root: the path is written into the bundle, which must not depend on
          // where the checkout is.
          { path: relative(ROOT, resolve(dirname(args.importer), args.path)), namespace: STUB }
        : null,
    );
    b.onLoad({ filter: /locales[\\/]index\.js$/, namespace: STUB }, (args) => {
      const index = resolve(ROOT, args.path);
      const names = [
        ...readFileSync(index, "utf8").matchAll(/export \{ default as (\w+) \} from/g),
      ].map((m) => m[1]!);
      if (!names.includes("en"))
        throw new Error(`${args.path} no longer exports "en": update englishOnlyZod`);
      const others = names.filter((n) => n !== "en");
      return {
        contents: [
          'export { default as en } from "./en.js";',
          "const leftOut = (name) => () => {",
          `  throw new Error("zod locale " + name + ": autoexp's bundle carries English only; to use another, drop englishOnlyZod in scripts/bundle.ts");`,
          "};",
          ...others.map((n) => `export const ${n} = leftOut(${JSON.stringify(n)});`),
          "",
        ].join("\n"),
        resolveDir: dirname(index),
        loader: "js",
      };
    });
  },
};

/** What one build wrote: the metafile, to list and check what went in. */
export interface Bundled {
  outdir: string;
  metafile: Metafile;
}

/**
 * Bundles the CLI, the Action and the App into `outdir`, with their licence notices.
 * `trim: false` builds as the bundles were before this trim (OIDC client and every zod locale in, no
 * notices): bench/action's "before".
 */
export async function bundle(outdir: string, { trim = true } = {}): Promise<Bundled> {
  const metafile: Metafile = { inputs: {}, outputs: {} };
  for (const { entries, external } of BUILDS) {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: entries,
      external,
      outdir: resolve(ROOT, outdir),
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      legalComments: "none",
      logLevel: "warning",
      metafile: true,
      plugins: trim ? [leaveOutOidc, englishOnlyZod] : [],
      banner: {
        js: `${trim ? `// autoexp. Third-party code in this file: its licences are in ${NOTICES}.\n` : ""}${REQUIRE}`,
      },
    });
    Object.assign(metafile.inputs, result.metafile.inputs);
    Object.assign(metafile.outputs, result.metafile.outputs);
  }
  if (trim) {
    checkLeftOut(metafile);
    writeFileSync(join(resolve(ROOT, outdir), NOTICES), renderNotices(bundledPackages(metafile)));
  }
  return { outdir, metafile };
}

/** A package whose code is in a bundle. */
export interface BundledPackage {
  name: string;
  /** Its folder, relative to the repository root. */
  dir: string;
  /** The bundles (file names) it is in. */
  bundles: string[];
}

/** The packages from node_modules whose code made it into each output, by the metafile. */
export function bundledPackages(metafile: Metafile): BundledPackage[] {
  const found = new Map<string, BundledPackage>();
  for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
    if (!output.endsWith(".js")) continue;
    for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
      const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
      if (!m || bytesInOutput === 0 || input.startsWith(`${STUB}:`)) continue;
      const dir = m[1]!;
      const entry = found.get(dir) ?? { name: m[2]!, dir, bundles: [] };
      const file = output.split("/").at(-1)!;
      if (!entry.bundles.includes(file)) entry.bundles.push(file);
      found.set(dir, entry);
    }
  }
  return [...found.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.dir.localeCompare(b.dir),
  );
}

/** Fails the build if code that is left out on purpose came back (a dependency moved it). */
function checkLeftOut(metafile: Metafile): void {
  const back = Object.keys(metafile.inputs).filter(
    (p) =>
      !p.startsWith(`${STUB}:`) &&
      (/node_modules\/(undici|tunnel|@actions\/http-client)\//.test(p) ||
        /node_modules\/zod\/v4\/locales\/(?!en\.js$)/.test(p)),
  );
  if (back.length > 0)
    throw new Error(
      `the bundles carry code scripts/bundle.ts leaves out (${back.slice(0, 3).join(", ")}): a dependency imports it another way now; extend leaveOutOidc or englishOnlyZod`,
    );
}

const RULE = "-".repeat(80);

/** dist/THIRD_PARTY_NOTICES.txt: each bundled package, its version, licence and licence text. */
export function renderNotices(packages: readonly BundledPackage[]): string {
  const sections = packages.map((p) => {
    const dir = join(ROOT, p.dir);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      version: string;
      license?: string;
      homepage?: string;
      repository?: string | { url?: string };
    };
    const repository =
      typeof manifest.repository === "string" ? manifest.repository : manifest.repository?.url;
    const files = readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f))
      .sort();
    if (files.length === 0)
      throw new Error(
        `${p.dir} has no LICENSE file, and ${NOTICES} must reproduce its licence: add its text to scripts/bundle.ts or leave the package out`,
      );
    return [
      RULE,
      `${p.name} ${manifest.version}`,
      `License: ${manifest.license ?? "see below"}`,
      ...(repository || manifest.homepage ? [`Source: ${repository ?? manifest.homepage}`] : []),
      `In: ${p.bundles.sort().join(", ")}`,
      "",
      ...files.map((f) => readFileSync(join(dir, f), "utf8").trimEnd()),
      "",
    ].join("\n");
  });
  return [
    "Third-party software in autoexp's bundles (dist/*.js)",
    "",
    "autoexp itself is under the MIT licence in LICENSE. The bundles in dist/ also carry the code",
    "of the packages below, each under its own licence, reproduced here as the package ships it.",
    "",
    ...sections,
  ].join("\n");
}
