import { describe, expect, it } from "vitest";
import { createRedactor, secretForms } from "../../action/process/secrets.ts";

// A key with characters that base64, URL-encoding and JSON each treat specially.
const KEY = 'sk-proj-Zq81/xQv+T5m Lw0?aBc7Yd2Ke9"~';
const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");

describe("redaction of derived forms", () => {
  const redact = createRedactor([KEY, "short"]);

  it("redacts the key as is, JSON-escaped, reversed, in hex and URL-encoded", () => {
    const forms = {
      plain: KEY,
      json: JSON.stringify(KEY).slice(1, -1),
      reversed: [...KEY].reverse().join(""),
      hex: Buffer.from(KEY).toString("hex"),
      HEX: Buffer.from(KEY).toString("hex").toUpperCase(),
      url: encodeURIComponent(KEY),
      urlLower: encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      form: encodeURIComponent(KEY).replace(/%20/g, "+"),
    };
    for (const [name, form] of Object.entries(forms)) {
      const text = `before ${form} after`;
      expect(redact(text), name).toBe("before [redacted] after");
    }
  });

  it("redacts its base64, standard and URL-safe, padded or not, at every offset inside a longer base64 string", () => {
    for (let offset = 0; offset < 6; offset++) {
      const around = Buffer.concat([
        Buffer.from("OPENAI_API_KEY=".slice(0, offset)),
        Buffer.from(KEY),
        Buffer.from("\nmore text after it"),
      ]);
      for (const encode of [b64, b64url]) {
        const encoded = encode(around);
        const out = redact(`blob: ${encoded} end`);
        expect(out, `${encode.name} at ${offset}`).toContain("[redacted]");
        // What is left decodes to no run of the key longer than the two bytes at each edge.
        const left = Buffer.from(out.replace("[redacted]", "A"), "base64").toString("latin1");
        for (let i = 0; i + 4 <= KEY.length; i++) expect(left).not.toContain(KEY.slice(i, i + 4));
      }
    }
    for (const whole of [b64(KEY), b64(KEY).replace(/=+$/, ""), b64url(KEY)])
      expect(redact(`"${whole}"`)).toBe('"[redacted]"');
  });

  it("leaves values too short to be secrets alone, in every form", () => {
    const text = `short ${b64("short")} ${Buffer.from("short").toString("hex")} trohs 1234567`;
    expect(redact(text)).toBe(text);
    expect(createRedactor(["1234567"])("score 1234567 MTIzNDU2Nw==")).toBe(
      "score 1234567 MTIzNDU2Nw==",
    );
    expect(secretForms(KEY).every((f) => f.length >= 8)).toBe(true);
  });

  it("redacts a megabyte of log in a few milliseconds", () => {
    const keys = [
      KEY,
      "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
      "ghp_1234567890abcdefghij",
    ];
    const many = createRedactor(keys);
    const line = "step 100 loss 0.1234 lr 3e-4 tokens/s 12345 epoch 2 and a little more text\n";
    const mb = line.repeat(Math.ceil(1e6 / line.length)).slice(0, 1e6);
    const text = `${mb.slice(0, 5e5)}${b64(`x${keys[1]}`)}${mb.slice(5e5)}`;
    for (let i = 0; i < 3; i++) many(text);
    const started = performance.now();
    let out = "";
    for (let i = 0; i < 10; i++) out = many(text);
    const ms = (performance.now() - started) / 10;
    console.log(`redacting 1 MB with ${keys.length} keys: ${ms.toFixed(2)} ms`);
    expect(out.split("[redacted]").length).toBe(2);
    expect(ms).toBeLessThan(25); // ~2 ms measured; slack for a loaded shared runner
  });
});
