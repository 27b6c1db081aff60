import { describe, expect, it } from "vitest";
import { toolRoots } from "../../action/engine/isolation.ts";

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
    expect(toolRoots(path, "/root", "/root/work/repo")).toEqual([
      "/root/.pyenv",
      "/root/.nvm",
      "/root/.local/bin",
      "/root/.local/lib",
    ]);
  });

  it("binds nothing for a PATH outside HOME", () => {
    expect(toolRoots("/usr/local/bin:/usr/bin:/bin", "/home/u", "/home/u/repo")).toEqual([]);
  });
});
