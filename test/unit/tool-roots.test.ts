import { describe, expect, it } from "vitest";
import { toolRoots, venvBases } from "../../action/sandbox/tool-roots.ts";

describe("programs installed under HOME, inside the sandbox's private HOME", () => {
  it("binds each PATH tool's root (a pyenv shim needs ~/.pyenv/libexec), not HOME itself", () => {
    const path = [
      "/root/.pyenv/shims",
      "/root/.pyenv/bin",
      "/root/.nvm/versions/node/v24/bin",
      "/root/.local/bin",
      "/usr/bin",
      "/root/work/repo/node_modules/.bin",
    ].join(":");
    expect(toolRoots(path, "/root", "/root/work/repo", () => null)).toEqual([
      "/root/.pyenv",
      "/root/.nvm",
      "/root/.local/bin",
      "/root/.local/lib",
    ]);
  });

  it("binds nothing for a PATH outside HOME", () => {
    expect(toolRoots("/usr/local/bin:/usr/bin:/bin", "/home/u", "/home/u/repo")).toEqual([]);
  });

  it("binds a tool folder elsewhere with what its installation keeps beside bin, node_modules whole", () => {
    const path = "/opt/conda/bin:/work/autoexp/node_modules/.bin:/opt/tools";
    expect(toolRoots(path, "/home/u", "/home/u/repo", () => null)).toEqual([
      "/opt/conda/bin",
      "/opt/conda/lib",
      "/opt/conda/lib64",
      "/opt/conda/libexec",
      "/opt/conda/share",
      "/opt/conda/include",
      "/work/autoexp/node_modules",
      "/opt/tools",
    ]);
  });

  it("never binds a folder holding the working tree, HOME or a private folder, whatever PATH says", () => {
    // ~/code/bin beside the repository ~/code/proj bound ~/code whole: the eval read the working
    // tree's untracked .env from its sandbox. ~/go/bin bound ~/go (and every repo in ~/go/src).
    const path = [
      "/home/u/code/bin",
      "/home/u/go/bin",
      "/home/u/.tools/bin",
      "/home/u",
      "/home/u/",
      "/home",
      "/tmp",
      "/run/current-system/sw/bin",
      "/srv",
    ].join(":");
    expect(toolRoots(path, "/home/u", "/home/u/code/proj", () => null)).toEqual([
      "/home/u/code/bin",
      "/home/u/code/lib",
      "/home/u/code/lib64",
      "/home/u/code/libexec",
      "/home/u/code/share",
      "/home/u/code/include",
      "/home/u/go/bin",
      "/home/u/go/lib",
      "/home/u/go/lib64",
      "/home/u/go/libexec",
      "/home/u/go/share",
      "/home/u/go/include",
      "/home/u/.tools",
      // A tool inside a private folder is bound (NixOS puts its PATH there); the folder is not.
      "/run/current-system/sw/bin",
      "/run/current-system/sw/lib",
      "/run/current-system/sw/lib64",
      "/run/current-system/sw/libexec",
      "/run/current-system/sw/share",
      "/run/current-system/sw/include",
    ]);
    // Written otherwise, or through a link, the folder that holds the tree is still not bound
    // (an outsider read ~/code/proj/.env through `//root/code`, `/root/code/.` and a link to it).
    const links = (p: string) => (p === "/opt/codelink" ? "/home/u/code" : null);
    expect(
      toolRoots(
        "//home/u/code:/home/u/code/.:/opt/codelink",
        "/home/u",
        "/home/u/code/proj",
        () => null,
        links,
      ),
    ).toEqual([]);
    // Folders that hold users' homes and data, whoever's HOME this is: /home showed every user's.
    expect(
      toolRoots("/home:/root:/srv:/var:/mnt", "/data/me", "/data/me/proj", () => null),
    ).toEqual([]);
    // A hidden tool folder that holds the repository is not bound whole either.
    expect(toolRoots("/home/u/.work/bin", "/home/u", "/home/u/.work/repo", () => null)).toEqual([
      "/home/u/.work/bin",
      "/home/u/.work/lib",
      "/home/u/.work/lib64",
      "/home/u/.work/libexec",
      "/home/u/.work/share",
      "/home/u/.work/include",
    ]);
    // A conda installation in HOME is bound whole (its python needs more than bin and lib).
    expect(toolRoots("/home/u/miniconda3/bin", "/home/u", "/home/u/proj", () => null)).toEqual([
      "/home/u/miniconda3",
    ]);
  });

  it("binds an activated virtualenv inside the repository, and nothing else of it", () => {
    const cfg = (p: string) => (p === "/home/u/repo/.venv/pyvenv.cfg" ? "home = /x/bin\n" : null);
    const path = "/home/u/repo/.venv/bin:/home/u/repo/scripts";
    expect(toolRoots(path, "/home/u", "/home/u/repo", cfg)).toEqual(["/home/u/repo/.venv"]);
  });

  it("binds the Python a virtualenv was made from (uv's under ~/.local/share/uv), not a system one", () => {
    const cfgs: Record<string, string> = {
      "/r/.venv/pyvenv.cfg":
        "home = /root/.local/share/uv/python/cpython-3.12.8-linux-x86_64-gnu/bin\nversion_info = 3.12.8\n",
      "/r/.sys/pyvenv.cfg": "home = /usr/bin\n",
    };
    expect(venvBases(["/r/.venv", "/r/.sys", "/r/data"], (p) => cfgs[p] ?? null)).toEqual([
      "/root/.local/share/uv/python/cpython-3.12.8-linux-x86_64-gnu",
    ]);
  });
});
