import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * GitHub's official REST description (@octokit/openapi, dereferenced) and a checker that says
 * what GitHub would reject in a request: an unknown method or path, a query parameter the
 * operation does not take, a missing required one, or a body that breaks the operation's schema.
 */
interface Schema {
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxProperties?: number;
  minItems?: number;
  maxItems?: number;
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  operation: Operation;
  params: number;
}

let routes: Route[] | null = null;

function load(): Route[] {
  if (routes) return routes;
  const file = join(
    import.meta.dirname,
    "..",
    "..",
    "node_modules",
    "@octokit",
    "openapi",
    "generated",
    "api.github.com.deref.json",
  );
  const spec = JSON.parse(readFileSync(file, "utf8")) as {
    paths: Record<string, Record<string, Operation>>;
  };
  routes = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const pattern = template
      .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
      .replace(/\{([^}]+)\}/g, (_, name: string) => {
        names.push(name);
        return name === "path" || name === "ref" || name === "name" ? "(.+)" : "([^/]+)";
      });
    for (const [method, operation] of Object.entries(methods)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      routes.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}$`),
        names,
        operation,
        params: names.length,
      });
    }
  }
  // The most literal template first: /pulls/comments before /pulls/{pull_number}.
  routes.sort((a, b) => a.params - b.params);
  return routes;
}

export interface Checked {
  operationId: string;
  template: string;
  params: Record<string, string>;
  problems: string[];
}

/** Checks one request against GitHub's description. `problems` is empty when GitHub would accept it. */
export function checkRequest(method: string, url: URL, body: unknown): Checked {
  const path = decodeURIComponent(url.pathname);
  const candidates = load().filter((r) => r.regex.test(url.pathname));
  const route = candidates.find((r) => r.method === method);
  if (!route) {
    return {
      operationId: "",
      template: "",
      params: {},
      problems: [
        candidates.length > 0
          ? `${method} is not allowed on ${path}`
          : `no such endpoint: ${method} ${path}`,
      ],
    };
  }
  const match = route.regex.exec(url.pathname)!;
  const params = Object.fromEntries(
    route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]),
  );
  const problems: string[] = [];
  const declared = route.operation.parameters ?? [];
  for (const p of declared.filter((p) => p.in === "path")) {
    if (!params[p.name]) problems.push(`path parameter ${p.name} is empty`);
    else if (p.schema?.type === "integer" && !/^\d+$/.test(params[p.name]!))
      problems.push(`path parameter ${p.name} must be an integer, got ${params[p.name]}`);
  }
  const query = declared.filter((p) => p.in === "query");
  for (const [name, value] of url.searchParams) {
    const p = query.find((q) => q.name === name);
    if (!p) {
      problems.push(`${route.operation.operationId} takes no query parameter ${name}`);
      continue;
    }
    problems.push(
      ...validate(
        p.schema?.type === "integer" || p.schema?.type === "number"
          ? Number(value)
          : p.schema?.type === "boolean"
            ? value === "true"
            : value,
        p.schema ?? {},
        `query ${name}`,
      ),
    );
  }
  for (const p of query.filter((q) => q.required))
    if (!url.searchParams.has(p.name)) problems.push(`query parameter ${p.name} is required`);
  const json = route.operation.requestBody?.content["application/json"];
  if (body !== undefined && body !== null && body !== "") {
    if (!json) problems.push(`${route.operation.operationId} takes no request body`);
    else problems.push(...validate(body, json.schema, "body"));
  } else if (route.operation.requestBody?.required)
    problems.push(`${route.operation.operationId} needs a request body`);
  return { operationId: route.operation.operationId, template: route.template, params, problems };
}

/** JSON Schema as OpenAPI 3.0 writes it (nullable, oneOf, anyOf, allOf), enough for GitHub's. */
export function validate(value: unknown, schema: Schema, at: string): string[] {
  if (value === null)
    return schema.nullable || schema.type === "null" || schema.enum?.includes(null)
      ? []
      : [`${at} must not be null`];
  if (schema.allOf) return schema.allOf.flatMap((s) => validate(value, s, at));
  if (schema.oneOf || schema.anyOf) {
    const options = (schema.oneOf ?? schema.anyOf)!;
    const fits = options.filter((s) => validate(value, s, at).length === 0);
    if (fits.length === 0) return [`${at} matches none of the allowed forms`];
    return [];
  }
  const problems: string[] = [];
  if (schema.enum && !schema.enum.includes(value))
    problems.push(
      `${at} must be one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`,
    );
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") return [`${at} must be a string`];
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        problems.push(`${at} is longer than ${schema.maxLength}`);
      if (schema.minLength !== undefined && value.length < schema.minLength)
        problems.push(`${at} is shorter than ${schema.minLength}`);
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value))
        return [`${at} must be an integer`];
      break;
    case "number":
      if (typeof value !== "number") return [`${at} must be a number`];
      break;
    case "boolean":
      if (typeof value !== "boolean") return [`${at} must be a boolean`];
      break;
    case "array":
      if (!Array.isArray(value)) return [`${at} must be an array`];
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        problems.push(`${at} has more than ${schema.maxItems} items`);
      if (schema.minItems !== undefined && value.length < schema.minItems)
        problems.push(`${at} has fewer than ${schema.minItems} items`);
      if (schema.items)
        for (const [i, v] of value.entries())
          problems.push(...validate(v, schema.items, `${at}[${i}]`));
      break;
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return [`${at} must be an object`];
      const obj = value as Record<string, unknown>;
      for (const name of schema.required ?? [])
        if (obj[name] === undefined) problems.push(`${at}.${name} is required`);
      if (schema.maxProperties !== undefined && Object.keys(obj).length > schema.maxProperties)
        problems.push(`${at} has more than ${schema.maxProperties} properties`);
      for (const [name, v] of Object.entries(obj)) {
        const prop = schema.properties?.[name];
        if (prop) problems.push(...validate(v, prop, `${at}.${name}`));
        else if (schema.additionalProperties === false)
          problems.push(`${at} has no property ${name}`);
        else if (typeof schema.additionalProperties === "object")
          problems.push(...validate(v, schema.additionalProperties, `${at}.${name}`));
        else if (schema.properties && schema.additionalProperties === undefined && !schema.oneOf) {
          // GitHub ignores unknown body fields only where the schema allows them; most bodies are closed.
          problems.push(`${at} has no property ${name}`);
        }
      }
      break;
    }
  }
  return problems;
}
