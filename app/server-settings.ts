/** The settings the App's server needs, each with what it is and where to find it. */
const REQUIRED = {
  APP_ID: "the App's numeric id (the App's settings page, 'App ID')",
  PRIVATE_KEY: 'the App\'s private key, PEM text (e.g. PRIVATE_KEY="$(cat key.pem)")',
  WEBHOOK_SECRET: "the webhook secret you set when creating the App",
} as const;

/**
 * What is missing from the environment to start the App's server, as one message naming every
 * missing variable and what to put there; null when nothing is. Probot alone says
 * "appId option is required", which names none of them.
 */
export function missingServerSettings(env: Record<string, string | undefined>): string | null {
  const missing = (Object.keys(REQUIRED) as (keyof typeof REQUIRED)[]).filter(
    (k) => !env[k]?.trim(),
  );
  if (missing.length === 0) return null;
  return [
    `autoexp app: cannot start: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set.`,
    ...missing.map((k) => `  ${k}: ${REQUIRED[k]}`),
    'Set them in the environment (or a .env file read by your process manager), then start again: APP_ID=... PRIVATE_KEY="$(cat key.pem)" WEBHOOK_SECRET=... node dist/app-server.js',
  ].join("\n");
}
