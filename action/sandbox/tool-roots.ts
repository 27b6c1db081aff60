import { basename, dirname, isAbsolute, join, normalize } from "node:path";
import { readTextQuiet, realPathQuiet } from "../util/fs-quiet.ts";
import { SYSTEM_ROOTS } from "./sandbox-argv.ts";

/**
 * The tools on PATH, made reachable inside an allow-listed root. Programs installed under HOME
 * (pyenv, nvm, conda, cargo, uv's Pythons, ~/.local/bin): a PATH folder inside a hidden folder of
 * HOME (`~/.pyenv/shims`) or a conda installation (`~/miniconda3/bin`) has that folder bound
 * read-only whole (a shim runs `~/.pyenv/libexec/pyenv`); `~/.local` is not bound whole (keyrings
 * and app data live there): its bin and lib only. Any other PATH folder outside the system folders
 * (`~/go/bin`, `~/code/bin`, /opt/conda/bin, a runner's tool cache) is bound with the folders an
 * installation keeps beside its bin (TOOL_FOLDERS), or whole when it is not a bin; node_modules/.bin
 * with its node_modules. Never bound, whatever PATH says or wherever a link in it leads: a folder
 * that holds HOME, the repository (the working tree, its untracked files: `~/code/bin` beside
 * `~/code/proj` binds `~/code/bin`, not `~/code`), users' homes and data (/home, /var), or one of
 * the sandbox's private folders (/tmp, /run: a PATH entry `/tmp` would put the host's /tmp over
 * the private one). Of the repository's own folders only an activated
 * virtualenv's is bound (other data: declare it in isolation.read_only).
 */
export function toolRoots(
  path: string,
  home: string,
  repoDir: string,
  readFile: (path: string) => string | null = readTextQuiet,
  realPath: (path: string) => string | null = realPathQuiet,
): string[] {
  const roots = new Set<string>();
  const within = (dir: string, root: string) =>
    dir === root || dir.startsWith(root === "/" ? "/" : `${root}/`);
  // HOME and the working tree as written and as they really are (either may be a link).
  const homes = [home, realPath(home) ?? home];
  const repos = [repoDir, realPath(repoDir) ?? repoDir];
  // A root that would show HOME, the working tree, other users' data or a private folder from
  // the host: judged by its path as written and by where it really leads (`//root/code`,
  // `/root/code/.` and a link to ~/code all lead to the folder that holds ~/code/proj).
  const exposes = (root: string) =>
    [root, realPath(root) ?? root].some(
      (r) =>
        r === "/" ||
        homes.some((h) => within(h, r)) ||
        repos.some((d) => within(d, r) || within(r, d)) ||
        PRIVATE_FOLDERS.some((p) => within(p, r)),
    );
  const add = (root: string) => {
    if (!exposes(root)) roots.add(root);
  };
  // A bin folder with what its installation keeps beside it; anything else alone.
  const installation = (dir: string) => {
    if (basename(dir) === "bin" && dirname(dir) !== "/")
      for (const beside of TOOL_FOLDERS) add(join(dirname(dir), beside));
    else add(dir);
  };
  for (const dir of path.split(":")) {
    if (!isAbsolute(dir) || dir.split("/").includes("..")) continue;
    // `//root/code` and `/root/code/.` are /root/code.
    const clean = normalize(dir).replace(/\/+$/, "") || "/";
    if (within(clean, repoDir)) {
      // An activated virtualenv inside the repository: the eval's `python` is its interpreter.
      const venv = dirname(clean);
      if (basename(clean) === "bin" && readFile(join(venv, "pyvenv.cfg")) !== null) roots.add(venv);
      continue;
    }
    if (SYSTEM_ROOTS.some((r) => within(clean, r))) continue;
    if (clean.startsWith(`${home}/`)) {
      const [first] = clean.slice(home.length + 1).split("/");
      if (!first) continue;
      if (first === ".local") {
        add(join(home, ".local", "bin"));
        add(join(home, ".local", "lib"));
        continue;
      }
      const tool = join(home, first);
      if ((first.startsWith(".") || CONDA_HOMES.includes(first)) && !exposes(tool)) {
        roots.add(tool);
        continue;
      }
    }
    if (clean.endsWith("/node_modules/.bin")) add(dirname(clean));
    else installation(clean);
  }
  return [...roots];
}

/** What an installation keeps beside its bin (include: Python.h, which torch.compile builds with). */
const TOOL_FOLDERS = ["bin", "lib", "lib64", "libexec", "share", "include"] as const;

/** Conda installations' usual folders in HOME: bound whole, as a hidden tool folder is. */
const CONDA_HOMES = ["miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba"];

/**
 * Never bound from the host whole (a tool inside one is): the sandbox's own private folders, and
 * the folders that hold users' homes and data (`/home` on PATH showed every other user's home).
 */
const PRIVATE_FOLDERS = [
  "/tmp",
  "/var/tmp",
  "/run",
  "/dev",
  "/proc",
  "/home",
  "/root",
  "/var",
  "/srv",
  "/mnt",
  "/media",
];

/**
 * The interpreters that virtualenvs among `paths` were made from (pyvenv.cfg's `home`, the base
 * Python's bin folder): bound with them, or the venv's `python` link points at nothing (uv puts
 * its Pythons under ~/.local/share/uv, pyenv under ~/.pyenv, both hidden with HOME).
 */
export function venvBases(
  paths: readonly string[],
  readFile: (path: string) => string | null = readTextQuiet,
): string[] {
  const bases = new Set<string>();
  for (const p of paths) {
    const cfg = readFile(join(p, "pyvenv.cfg"));
    const home = cfg && /^\s*home\s*=\s*(.+?)\s*$/m.exec(cfg)?.[1];
    if (!home || !isAbsolute(home)) continue;
    const prefix = basename(home) === "bin" ? dirname(home) : home;
    if (prefix !== "/" && !SYSTEM_ROOTS.some((r) => prefix === r || prefix.startsWith(`${r}/`)))
      bases.add(prefix);
  }
  return [...bases];
}
