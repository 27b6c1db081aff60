import { describe, expect, it } from "vitest";
import { evalEnvironment } from "../../action/sandbox/eval-environment.ts";
import { FALLBACK_HOME, fitSandboxSpec } from "../../action/sandbox/fit-sandbox-spec.ts";
import { missingSandboxPaths } from "../../action/sandbox/missing-sandbox-paths.ts";

const HOST = {
  PATH: "/usr/local/bin:/usr/bin",
  HOME: "/home/u",
  USER: "u",
  LANG: "en_US.UTF-8",
  LC_ALL: "C.UTF-8",
  TZ: "UTC",
  TERM: "xterm",
  CUDA_VISIBLE_DEVICES: "0,1",
  CUDA_HOME: "/usr/local/cuda",
  NVIDIA_VISIBLE_DEVICES: "all",
  NVIDIA_DRIVER_CAPABILITIES: "compute,utility",
  ROCR_VISIBLE_DEVICES: "0",
  HIP_VISIBLE_DEVICES: "0",
  LD_LIBRARY_PATH: "/usr/local/cuda/lib64",
  NCCL_P2P_DISABLE: "1",
  // What must not pass.
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  HF_TOKEN: "hf_token",
  HUGGINGFACE_HUB_TOKEN: "hf_legacy",
  WANDB_API_KEY: "wandb",
  COHERE_API_KEY: "cohere",
  OPENAI_API_KEY: "sk-openai",
  SSH_AUTH_SOCK: "/tmp/ssh-x/agent.1",
  GITHUB_TOKEN: "ghs_x",
  NVIDIA_API_KEY: "nvapi-x",
  NGC_API_KEY: "ngc",
  CUDA_AUTH_TOKEN: "made-up",
  LD_PRELOAD: "/tmp/evil.so",
  PYTHONPATH: "/tmp/poison",
  NODE_OPTIONS: "--require /tmp/poison.js",
  TMPDIR: "/home/u/tmp",
  AUTOEXP_FAULT: "during-eval@1",
};

const OPTIONS = { passEnv: [], set: {}, home: "/home/u" };

describe("evalEnvironment", () => {
  it("passes PATH, HOME, locale, TZ, TERM and the GPU variables, and nothing else", () => {
    expect(evalEnvironment(HOST, OPTIONS)).toEqual({
      PATH: "/usr/local/bin:/usr/bin",
      HOME: "/home/u",
      USER: "u",
      LANG: "en_US.UTF-8",
      LC_ALL: "C.UTF-8",
      TZ: "UTC",
      TERM: "xterm",
      CUDA_VISIBLE_DEVICES: "0,1",
      CUDA_HOME: "/usr/local/cuda",
      NVIDIA_VISIBLE_DEVICES: "all",
      NVIDIA_DRIVER_CAPABILITIES: "compute,utility",
      ROCR_VISIBLE_DEVICES: "0",
      HIP_VISIBLE_DEVICES: "0",
      LD_LIBRARY_PATH: "/usr/local/cuda/lib64",
      NCCL_P2P_DISABLE: "1",
    });
  });

  it("keeps a credential out even when its name starts like a GPU variable", () => {
    const env = evalEnvironment(HOST, OPTIONS);
    expect(env.NVIDIA_API_KEY).toBeUndefined();
    expect(env.CUDA_AUTH_TOKEN).toBeUndefined();
  });

  it("passes a listed name through, credential or not: pass_env is the user's explicit choice", () => {
    const env = evalEnvironment(HOST, { ...OPTIONS, passEnv: ["WANDB_API_KEY", "ABSENT"] });
    expect(env.WANDB_API_KEY).toBe("wandb");
    expect("ABSENT" in env).toBe(false);
    expect(env.HF_TOKEN).toBeUndefined();
  });

  it("sets HOME to the sandbox's and lets eval.env values win over everything", () => {
    const env = evalEnvironment(
      { ...HOST, HOME: "/elsewhere" },
      { passEnv: ["TZ"], set: { TZ: "Europe/Paris", SEED: "1" }, home: "/home/u" },
    );
    expect(env.HOME).toBe("/home/u");
    expect(env.TZ).toBe("Europe/Paris");
    expect(env.SEED).toBe("1");
  });

  it("skips undefined values", () => {
    expect(evalEnvironment({ PATH: undefined, LANG: "C" }, OPTIONS)).toEqual({
      LANG: "C",
      HOME: "/home/u",
    });
  });
});

describe("missingSandboxPaths", () => {
  it("names each declared path that does not exist, read-only and writable apart", () => {
    const exists = (p: string) => p === "/data";
    expect(
      missingSandboxPaths({ readOnly: ["/data", "/venv"], writable: ["/cache"] }, exists),
    ).toEqual(["read-only path not found: /venv", "writable path not found: /cache"]);
  });
});

describe("fitSandboxSpec", () => {
  const SPEC = {
    slotDir: "/work/slot",
    home: "/home/u",
    readOnly: ["/data", "/venv"],
    writable: ["/cache"],
    network: true,
    devices: [],
    hide: ["/home/u/repo/.git", "/gone"],
  };

  it("drops declared paths that do not exist and names each, read-only and writable apart", () => {
    const exists = (p: string) => ["/data", "/home/u", "/home/u/repo/.git"].includes(p);
    const fitted = fitSandboxSpec(SPEC, exists);
    expect(fitted.warnings).toEqual([
      "read-only path not found: /venv",
      "writable path not found: /cache",
    ]);
    expect(fitted.spec).toEqual({
      ...SPEC,
      readOnly: ["/data"],
      writable: [],
      hide: ["/home/u/repo/.git"],
      system: [],
      blank: [],
    });
  });

  it("keeps the system folders that exist, blanks the secret files there and hides secret folders", () => {
    const here = ["/usr", "/etc", "/home/u", "/etc/shadow", "/etc/ssh", "/etc/sudoers"];
    const folders = ["/usr", "/etc", "/home/u", "/etc/ssh"];
    const fitted = fitSandboxSpec(
      { ...SPEC, readOnly: [], writable: [], hide: [] },
      (p) => here.includes(p),
      (p) => folders.includes(p),
    );
    expect(fitted.spec.system).toEqual(["/usr", "/etc"]);
    expect(fitted.spec.blank).toEqual(["/etc/shadow", "/etc/sudoers"]);
    expect(fitted.spec.hide).toEqual(["/etc/ssh"]);
  });

  it("moves a HOME that does not exist into the sandbox's private /tmp, and says so", () => {
    const fitted = fitSandboxSpec({ ...SPEC, readOnly: [], writable: [] }, () => false);
    expect(fitted.spec.home).toBe(FALLBACK_HOME);
    expect(fitted.warnings).toEqual([
      `HOME /home/u does not exist: the eval's HOME is ${FALLBACK_HOME}`,
    ]);
  });
});
