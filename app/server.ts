// A plain Node server for the App, for hosts that do not use `probot run`:
//   APP_ID=... PRIVATE_KEY="$(cat key.pem)" WEBHOOK_SECRET=... PORT=3000 node dist/app-server.js
// Webhooks arrive at /api/github/webhooks and are refused unless their signature matches.
import { createServer } from "node:http";
import { createNodeMiddleware, createProbot } from "probot";
import app from "./index.ts";
import { missingServerSettings } from "./server-settings.ts";

const missing = missingServerSettings(process.env);
if (missing) {
  console.error(missing);
  process.exit(2);
}
const probot = createProbot();
const middleware = await createNodeMiddleware(app, {
  probot,
  webhooksPath: "/api/github/webhooks",
});
const port = Number(process.env.PORT ?? 3000);
createServer((req, res) => {
  void middleware(req, res, () => {
    res.writeHead(404).end();
  });
}).listen(port, () => probot.log.info(`autoexp app listening on :${port}/api/github/webhooks`));
