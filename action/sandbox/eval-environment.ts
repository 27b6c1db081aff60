/** Passed through by exact name: what a program needs to find itself, speak, and tell the time. */
const NAMES = new Set([
  "PATH",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TERM",
  "NO_COLOR",
  "LD_LIBRARY_PATH",
  "GPU_DEVICE_ORDINAL",
]);

/** Passed through by prefix: locale and the GPU stacks (CUDA, NVIDIA, ROCm, HIP, HSA, NCCL). */
const PREFIXES = ["LC_", "CUDA_", "NVIDIA_", "ROCR_", "ROCM_", "HIP_", "HSA_", "NCCL_"];

// A prefix is not a promise: NVIDIA_API_KEY (NGC, NIM) starts like NVIDIA_VISIBLE_DEVICES.
const SECRET_LIKE = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE/i;

/**
 * autoexp's own variables an eval (and the checks) may see: none that says which role a run plays
 * (baseline, candidate, confirmation, re-measure, checks, verify, attribute), so every run of the
 * same worker sees the same values. AUTOEXP_WORKER: the worker (0, 1, ...), as CUDA_VISIBLE_DEVICES
 * names its GPU: a per-worker cache or a test's fake device. AUTOEXP_SEED, where autoexp sets
 * one: shared by both sides of a pair. Never AUTOEXP_TAG, a log name or an iteration.
 */
export const EVAL_AUTOEXP_NAMES = ["AUTOEXP_WORKER", "AUTOEXP_SEED"] as const;

export interface EvalEnvironmentOptions {
  /** Names passed through from `env` as they are (eval.pass_env): the user's explicit choice. */
  passEnv: readonly string[];
  /** Values set whatever `env` holds (eval.env); they win over everything else. */
  set: Readonly<Record<string, string>>;
  /** HOME inside the sandbox: the real path, a private empty tmpfs there. */
  home: string;
}

/**
 * The eval's and the checks' environment, by allow-list: PATH, HOME, USER, locale, TZ, TERM,
 * the GPU variables (CUDA_*, NVIDIA_*, ROCR_*, HIP_*, ROCm, NCCL_*, LD_LIBRARY_PATH) minus any
 * name that looks like a credential, then `passEnv` names and `set` values. Nothing else: no
 * AWS_*, HF_TOKEN, WANDB_API_KEY, SSH_AUTH_SOCK, GITHUB_TOKEN, *_API_KEY unless listed. Pure.
 */
export function evalEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  options: EvalEnvironmentOptions,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (NAMES.has(name)) out[name] = value;
    else if (PREFIXES.some((p) => name.startsWith(p)) && !SECRET_LIKE.test(name)) out[name] = value;
  }
  out.HOME = options.home;
  for (const name of options.passEnv) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return { ...out, ...options.set };
}

/** What a tool that calls an API over a corporate network needs, beside the eval's allow-list. */
const AGENT_NAMES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "REQUESTS_CA_BUNDLE",
];

/**
 * A CLI agent's environment, by allow-list as an eval's: the eval's names, the proxy and CA
 * variables a tool needs to reach its API, autoexp's own AUTOEXP_* variables, and the agent's
 * own keys (agent.secrets and its preset's, e.g. ANTHROPIC_API_KEY for claude-code). No other
 * credential, however it is named. Pure.
 */
export function agentEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  options: { secrets: readonly string[]; home: string },
): Record<string, string> {
  return evalEnvironment(env, {
    passEnv: [
      ...AGENT_NAMES,
      ...options.secrets,
      ...Object.keys(env).filter((k) => k.startsWith("AUTOEXP_")),
    ],
    set: {},
    home: options.home,
  });
}
