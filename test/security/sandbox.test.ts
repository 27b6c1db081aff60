import { describeSecuritySuite } from "../helpers/security-suite.ts";

// Every attack of issue 12 blocked, every honest control kept.
await describeSecuritySuite("sandbox");
