import { describeSecuritySuite } from "../helpers/security-suite.ts";

// What an unsandboxed eval can still do, exactly as test/security/expected.ts lists it.
await describeSecuritySuite("none");
