// Checks api/core/openapi.json: that it is a valid OpenAPI 3.1 document, that every
// operation documents its errors with the one Error shape (401/403 on every
// operation that needs credentials), that its examples match its schemas, and
// that it lists exactly the routes of this milestone with their security.
// Usage: node validate.mjs [path/to/openapi.json]
// Writes "PASSED FAILED" to $VIREO_OPENAPI_COUNT_FILE when that is set.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = dirname(fileURLToPath(import.meta.url));
const docPath = resolve(process.argv[2] ?? resolve(here, "../../api/core/openapi.json"));

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const ERROR_REF = "#/components/schemas/Error";

// The routes of this milestone, as the lead's router serves them (api/core/api_routes.c).
const EXPECTED_ROUTES = [
  "GET /api/events",
  "POST /api/session",
  "GET /api/session",
  "GET /api/session/quota",
  "DELETE /api/session",
  "POST /api/session/password",
  "GET /api/sessions",
  "DELETE /api/sessions/{session}",
  "GET /api/tokens",
  "POST /api/tokens",
  "DELETE /api/tokens/{token}",
  "GET /api/users",
  "POST /api/users",
  "GET /api/users/{user}",
  "PATCH /api/users/{user}",
  "DELETE /api/users/{user}",
  "GET /api/users/{user}/grants",
  "POST /api/users/{user}/grants",
  "DELETE /api/users/{user}/grants/{vm}",
  "DELETE /api/users/{user}/grants/{kind}/{name}",
  "GET /api/audit",
  "GET /api/host",
  "GET /api/host/stats",
  "GET /api/hosts",
  "POST /api/hosts",
  "GET /api/hosts/{host}",
  "PATCH /api/hosts/{host}",
  "DELETE /api/hosts/{host}",
  "GET /api/vms/{vm}/stats",
  "GET /metrics",
  "GET /api/vms",
  "POST /api/vms",
  "POST /api/vms/import",
  "GET /api/vms/{vm}",
  "PATCH /api/vms/{vm}",
  "DELETE /api/vms/{vm}",
  "POST /api/vms/{vm}/start",
  "POST /api/vms/{vm}/shutdown",
  "POST /api/vms/{vm}/poweroff",
  "POST /api/vms/{vm}/reboot",
  "POST /api/vms/{vm}/reset",
  "POST /api/vms/{vm}/suspend",
  "POST /api/vms/{vm}/resume",
  "POST /api/vms/{vm}/console",
  "POST /api/vms/{vm}/keys",
  "POST /api/vms/{vm}/eject-installer",
  "GET /api/consoles/{ticket}",
  "GET /api/vms/{vm}/disks",
  "POST /api/vms/{vm}/disks",
  "GET /api/vms/{vm}/disks/{target}",
  "PATCH /api/vms/{vm}/disks/{target}",
  "DELETE /api/vms/{vm}/disks/{target}",
  "GET /api/vms/{vm}/nics",
  "POST /api/vms/{vm}/nics",
  "GET /api/vms/{vm}/nics/{mac}",
  "PATCH /api/vms/{vm}/nics/{mac}",
  "DELETE /api/vms/{vm}/nics/{mac}",
  "GET /api/vms/{vm}/screenshot",
  "POST /api/vms/{vm}/migrate",
  "POST /api/vms/{vm}/clone",
  "GET /api/vms/{vm}/snapshots",
  "POST /api/vms/{vm}/snapshots",
  "GET /api/vms/{vm}/snapshots/{snapshot}",
  "DELETE /api/vms/{vm}/snapshots/{snapshot}",
  "POST /api/vms/{vm}/snapshots/{snapshot}/revert",
  "GET /api/pools",
  "POST /api/pools",
  "GET /api/pools/{pool}",
  "PATCH /api/pools/{pool}",
  "DELETE /api/pools/{pool}",
  "POST /api/pools/{pool}/start",
  "POST /api/pools/{pool}/stop",
  "POST /api/pools/{pool}/refresh",
  "GET /api/pools/{pool}/volumes",
  "POST /api/pools/{pool}/volumes",
  "GET /api/pools/{pool}/volumes/{volume}",
  "DELETE /api/pools/{pool}/volumes/{volume}",
  "POST /api/pools/{pool}/volumes/{volume}/resize",
  "POST /api/pools/{pool}/volumes/{volume}/wipe",
  "POST /api/pools/{pool}/volumes/{volume}/clone",
  "PUT /api/pools/{pool}/volumes/{volume}/content",
  "GET /api/pools/{pool}/volumes/{volume}/content",
  "GET /api/tasks",
  "GET /api/tasks/{task}",
  "POST /api/tasks/{task}/cancel",
  "GET /api/openapi.json",
  "GET /api/networks",
  "POST /api/networks",
  "GET /api/networks/{network}",
  "PATCH /api/networks/{network}",
  "DELETE /api/networks/{network}",
  "POST /api/networks/{network}/start",
  "POST /api/networks/{network}/stop",
  "GET /api/templates",
  "POST /api/templates",
  "GET /api/templates/{template}",
  "PATCH /api/templates/{template}",
  "DELETE /api/templates/{template}",
  "GET /api/os",
  "GET /api/os/{os}",
  "GET /api/vms/{vm}/export",
  "POST /api/vms/import-archive",
  "GET /api/backups/jobs",
  "POST /api/backups/jobs",
  "GET /api/backups/jobs/{job}",
  "PATCH /api/backups/jobs/{job}",
  "DELETE /api/backups/jobs/{job}",
  "POST /api/backups/jobs/{job}/run",
  "GET /api/backups",
  "GET /api/backups/{backup}",
  "DELETE /api/backups/{backup}",
  "POST /api/backups/{backup}/restore",
];

// Routes that need no credentials (API_PERM_PUBLIC): they override the
// top-level security with an empty list. Every other route needs the session
// cookie or an API token and documents 401 and 403.
const PUBLIC_ROUTES = ["GET /api/openapi.json", "POST /api/session", "GET /api/consoles/{ticket}"];

// Path variables the routes use; each must be declared as a required path parameter.
const PATH_VARIABLES = ["vm", "user", "session", "token", "pool", "volume", "network", "template", "os", "task", "target", "mac", "kind", "name", "ticket", "snapshot", "job", "backup", "host"];

// Answers that are one object and so must carry an ETag.
const ETAG_ROUTES = [
  "GET /api/host",
  "GET /api/hosts/{host}",
  "POST /api/hosts",
  "PATCH /api/hosts/{host}",
  "GET /api/vms/{vm}",
  "GET /api/vms/{vm}/screenshot",
  "PATCH /api/vms/{vm}",
  "POST /api/vms/{vm}/start",
  "POST /api/vms/{vm}/shutdown",
  "POST /api/vms/{vm}/poweroff",
  "POST /api/vms/{vm}/reboot",
  "POST /api/vms/{vm}/reset",
  "POST /api/vms/{vm}/suspend",
  "POST /api/vms/{vm}/resume",
  "POST /api/vms/{vm}/eject-installer",
  "POST /api/pools",
  "GET /api/pools/{pool}",
  "PATCH /api/pools/{pool}",
  "POST /api/pools/{pool}/start",
  "POST /api/pools/{pool}/stop",
  "POST /api/pools/{pool}/refresh",
  "POST /api/pools/{pool}/volumes",
  "GET /api/pools/{pool}/volumes/{volume}",
  "POST /api/pools/{pool}/volumes/{volume}/resize",
  "POST /api/pools/{pool}/volumes/{volume}/wipe",
  "PUT /api/pools/{pool}/volumes/{volume}/content",
  "GET /api/tasks/{task}",
  "POST /api/tasks/{task}/cancel",
  "GET /api/networks/{network}",
  "PATCH /api/networks/{network}",
  "POST /api/networks/{network}/start",
  "POST /api/networks/{network}/stop",
  "POST /api/vms",
  "POST /api/templates",
  "GET /api/templates/{template}",
  "PATCH /api/templates/{template}",
  "GET /api/os/{os}",
];

const ERROR_CODES = [
  "invalid_argument", "unauthorized", "forbidden", "not_found", "method_not_allowed",
  "conflict", "precondition_failed", "payload_too_large", "unsupported_media_type",
  "too_many_requests", "unsupported", "unavailable", "insufficient_storage", "internal",
  "quota_exceeded",
];

// Follows a local "#/..." reference; anything else is a failure of the document.
function resolvePointer(doc, ref) {
  if (typeof ref !== "string" || !ref.startsWith("#/")) {
    throw new Error(`only local references are expected, got ${JSON.stringify(ref)}`);
  }
  let node = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node)) {
      throw new Error(`dangling reference ${ref}`);
    }
    node = node[key];
  }
  return node;
}

function deref(doc, obj) {
  const seen = new Set();
  while (obj && typeof obj === "object" && typeof obj.$ref === "string") {
    if (seen.has(obj.$ref)) throw new Error(`reference loop at ${obj.$ref}`);
    seen.add(obj.$ref);
    obj = resolvePointer(doc, obj.$ref);
  }
  return obj;
}

function* operations(doc) {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      if (item[method]) yield { path, method, item, op: item[method] };
    }
  }
}

const opName = (method, path) => `${method.toUpperCase()} ${path}`;

// ---- test 1: the document is valid OpenAPI 3.1 -----------------------------
async function testValidOpenApi(doc) {
  if (doc.openapi !== "3.1.0") throw new Error(`openapi is ${JSON.stringify(doc.openapi)}, want "3.1.0"`);
  // validate() dereferences in place: give it its own copy.
  await SwaggerParser.validate(structuredClone(doc));
}

// ---- test 2: every operation has a 4xx answer with the Error schema ----------
function responseUsesError(doc, response) {
  const r = deref(doc, response);
  const schema = r?.content?.["application/json"]?.schema;
  return schema?.$ref === ERROR_REF;
}

function responseHeader(doc, response, header) {
  const headers = deref(doc, response)?.headers ?? {};
  const key = Object.keys(headers).find((h) => h.toLowerCase() === header.toLowerCase());
  return key === undefined ? undefined : deref(doc, headers[key]);
}

function testErrorResponses(doc) {
  const problems = [];
  for (const { path, method, op } of operations(doc)) {
    const name = opName(method, path);
    const responses = op.responses ?? {};
    if (!PUBLIC_ROUTES.includes(name)) {
      // The gate answers these for any route that needs credentials.
      if (!responses["401"]) problems.push(`${name}: 401 (no or bad credentials) wanted`);
      else if (!responseHeader(doc, responses["401"], "WWW-Authenticate")?.required) {
        problems.push(`${name}: 401 must declare a required WWW-Authenticate header`);
      }
      if (!responses["403"]) problems.push(`${name}: 403 (role too low, or cross-site) wanted`);
    }
    const fourxx = Object.keys(responses).filter((s) => /^4(\d\d|XX)$/.test(s));
    if (!fourxx.some((s) => responseUsesError(doc, responses[s]))) {
      problems.push(`${name}: no 4xx response with the Error schema`);
    }
    // Every documented error answer has the one error shape, not only one of them.
    for (const [status, resp] of Object.entries(responses)) {
      if (/^[45](\d\d|XX)$/.test(status) && !responseUsesError(doc, resp)) {
        problems.push(`${name}: ${status} does not use the Error schema`);
      }
    }
  }
  const login = doc.paths?.["/api/session"]?.post?.responses ?? {};
  if (!login["401"]) problems.push("POST /api/session: 401 (wrong username or password) wanted");
  if (!login["429"]) problems.push("POST /api/session: 429 (login throttled) wanted");
  else if (!responseHeader(doc, login["429"], "Retry-After")?.required) {
    problems.push("POST /api/session: 429 must declare a required Retry-After header");
  }
  const codes = doc.components?.schemas?.Error?.properties?.error?.properties?.code?.enum ?? [];
  if (JSON.stringify([...codes].sort()) !== JSON.stringify([...ERROR_CODES].sort())) {
    problems.push(`Error.code enum is ${JSON.stringify(codes)}, want ${JSON.stringify(ERROR_CODES)}`);
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

// ---- test 3: examples match their schemas; the schemas refuse what they must --
const ROOT_ID = "urn:vireo:openapi";

// Component schemas live under $defs of one root schema so Ajv can resolve them.
function rewriteRefs(node, prefix) {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, prefix));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")) {
      out[k] = prefix + "#/$defs/" + v.slice("#/components/schemas/".length);
    } else {
      out[k] = rewriteRefs(v, prefix);
    }
  }
  return out;
}

function makeAjv(doc) {
  // strictRequired off: VmDetail requires members that its VmSummary allOf branch defines.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: ROOT_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}, "") });
  return ajv;
}

function checker(ajv, schema) {
  return ajv.compile(rewriteRefs(schema, ROOT_ID));
}

// Every place that holds a schema next to examples: media types, parameters, headers.
function* exampleSites(doc) {
  const seen = new Set();
  function* site(where, holder) {
    holder = deref(doc, holder);
    if (!holder || typeof holder !== "object" || seen.has(holder)) return;
    seen.add(holder);
    if (holder.schema) {
      if ("example" in holder) yield { where: `${where} example`, schema: holder.schema, value: holder.example };
      for (const [n, ex] of Object.entries(holder.examples ?? {})) {
        const e = deref(doc, ex);
        if ("value" in e) yield { where: `${where} examples.${n}`, schema: holder.schema, value: e.value };
      }
    }
    for (const [mt, media] of Object.entries(holder.content ?? {})) {
      yield* site(`${where} ${mt}`, media);
    }
    for (const [h, header] of Object.entries(holder.headers ?? {})) {
      yield* site(`${where} header ${h}`, header);
    }
  }
  for (const { path, method, item, op } of operations(doc)) {
    const name = opName(method, path);
    for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
      yield* site(`${name} parameter ${deref(doc, p).name}`, p);
    }
    if (op.requestBody) yield* site(`${name} requestBody`, op.requestBody);
    for (const [status, resp] of Object.entries(op.responses ?? {})) {
      yield* site(`${name} ${status}`, resp);
    }
  }
}

// Schema-level "examples" arrays, anywhere inside the component schemas.
function* schemaExamples(node, where) {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) yield* schemaExamples(n, `${where}/${i}`);
    return;
  }
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node.examples)) {
    for (const [i, value] of node.examples.entries()) {
      yield { where: `${where} examples[${i}]`, schema: node, value };
    }
  }
  for (const [k, v] of Object.entries(node)) {
    if (k !== "examples") yield* schemaExamples(v, `${where}/${k}`);
  }
}

function testExamples(doc) {
  const ajv = makeAjv(doc);
  const problems = [];
  let checked = 0;
  const sites = [
    ...exampleSites(doc),
    ...schemaExamples(doc.components?.schemas ?? {}, "#/components/schemas"),
  ];
  for (const { where, schema, value } of sites) {
    const check = checker(ajv, schema);
    checked++;
    if (!check(value)) problems.push(`${where}: ${ajv.errorsText(check.errors)}`);
  }
  if (checked < 10) problems.push(`only ${checked} examples found; expected the main answers to have one`);

  // What the contract says must be refused (or accepted).
  const ref = (n) => ({ $ref: `#/components/schemas/${n}` });
  const cases = [
    ["VmPatch", {}, true],
    ["VmPatch", { description: "x".repeat(4096), tags: Array(32).fill("a:b.c_d-e"), autostart: false }, true],
    ["VmPatch", { color: "red" }, false],
    ["VmPatch", { description: "x".repeat(4097) }, false],
    ["VmPatch", { description: 7 }, false],
    ["VmPatch", { tags: Array(33).fill("t") }, false],
    ["VmPatch", { tags: ["has space"] }, false],
    ["VmPatch", { tags: [""] }, false],
    ["VmPatch", { tags: ["x".repeat(65)] }, false],
    ["VmPatch", { autostart: "yes" }, false],
    ["VmPatch", { name: "web-2", vcpus: 4, memory: 2048, boot: ["cdrom", "hd"] }, true],
    ["VmPatch", { name: "a/b" }, false],
    ["VmPatch", { name: ".hidden" }, false],
    ["VmPatch", { vcpus: 0 }, false],
    ["VmPatch", { vcpus: 1.5 }, false],
    ["VmPatch", { memory: 8 }, false],
    ["VmPatch", { boot: ["floppy"] }, false],
    ["VmPatch", { boot: ["hd", "hd"] }, false],
    ["Applied", { vcpus: "live", memory: "next_boot" }, true],
    ["Applied", { vcpus: "later" }, false],
    ["DiskAttach", { pool: "default", size: 1048576, format: "qcow2", bus: "virtio", target: "vdb" }, true],
    ["DiskAttach", { volume: "default/data.img" }, true],
    ["DiskAttach", { device: "cdrom", media: "isos/x.iso" }, true],
    ["DiskAttach", { volume: "data.img" }, false],
    ["DiskAttach", { pool: "default", size: 0 }, false],
    ["DiskAttach", { pool: "default", size: 1, format: "iso" }, false],
    ["DiskAttach", { pool: "default", size: 1, bus: "floppy" }, false],
    ["DiskAttach", { pool: "default", size: 1, target: "vd1" }, false],
    ["DiskAttach", { device: "tape" }, false],
    ["DiskAttach", { volume: "a/b", shared: true }, false],
    ["DiskPatch", { media: "isos/x.iso" }, true],
    ["DiskPatch", { media: null }, true],
    ["DiskPatch", {}, false],
    ["DiskPatch", { media: "x.iso" }, false],
    ["NicAttach", { network: "default", model: "e1000", mac: "52:54:00:AB:cd:01", link: "down" }, true],
    ["NicAttach", { network: "default", mac: "52-54-00-ab-cd-01" }, false],
    ["NicAttach", { network: "default", model: "ne2k" }, false],
    ["NicAttach", { network: "default", link: "off" }, false],
    ["NicAttach", { network: "default", vlan: 5 }, false],
    ["NicPatch", { link: "up" }, true],
    ["NicPatch", { network: "lab", link: "down" }, true],
    ["NicPatch", { model: "e1000" }, false],
    ["Error", { error: { code: "not_found", message: "no VM named 'x'" } }, true],
    ["Error", { error: { code: "teapot", message: "no" } }, false],
    ["Error", { error: { code: "not_found" } }, false],
    ["Error", { error: { code: "too_many_requests", message: "try again in 8 s" } }, true],
    ["LoginRequest", { username: "alice", password: "secret" }, true],
    ["LoginRequest", { username: "alice" }, false],
    ["LoginRequest", { username: "alice", password: "secret", remember: true }, false],
    ["Whoami", { id: 1, username: "admin", role: "admin", via: "token", source: "local", idle_timeout: 1800 }, true],
    ["Whoami", { id: 1, username: "admin", role: "admin", via: "cookie", source: "local", idle_timeout: 1800 }, false],
    ["Login", { id: 1, username: "admin", role: "admin", via: "token", idle_timeout: 1800 }, false],
    ["PasswordChange", { current: "old password", new: "new password" }, true],
    ["PasswordChange", { current: "old password", new: "short" }, false],
    ["PasswordChange", { current: "old password" }, false],
    ["UserCreate", { username: "bob", password: "12345678" }, true],
    ["UserCreate", { username: "_svc.backup-1", password: "x".repeat(1024), role: "operator" }, true],
    ["UserCreate", { username: "Bob", password: "12345678" }, false],
    ["UserCreate", { username: "1bob", password: "12345678" }, false],
    ["UserCreate", { username: "b".repeat(65), password: "12345678" }, false],
    ["UserCreate", { username: "bob", password: "1234567" }, false],
    ["UserCreate", { username: "bob", password: "x".repeat(1025) }, false],
    ["UserCreate", { username: "bob", password: "12345678", role: "root" }, false],
    ["UserCreate", { username: "bob", password: "12345678", source: "pam" }, false],
    ["UserCreate", { password: "12345678" }, false],
    ["UserPatch", {}, true],
    ["UserPatch", { role: "viewer", password: "a new passphrase" }, true],
    ["UserPatch", { username: "carol" }, false],
    ["TokenCreate", { name: "ci" }, true],
    ["TokenCreate", { name: "ci", expires: null }, true],
    ["TokenCreate", { name: "ci", expires: 1798761600 }, true],
    ["TokenCreate", { name: "ci", expires: "2027-01-01T00:00:00+01:00" }, true],
    ["TokenCreate", { name: "" }, false],
    ["TokenCreate", { name: "x".repeat(65) }, false],
    ["TokenCreate", { expires: 1798761600 }, false],
    ["TokenCreate", { name: "ci", expires: "next week" }, false],
    ["TokenCreate", { name: "ci", expires: true }, false],
    ["TokenCreate", { name: "ci", scope: "read" }, false],
    ["TokenCreate", { name: "prometheus", scope: "metrics" }, true],
    ["Token", { id: 1, name: "ci", owner: "bob", created_at: "2026-11-25T09:20:11Z", expires_at: null, last_used: null }, false],
    ["Token", { id: 1, name: "ci", owner: "bob", created_at: "2026-11-25T09:20:11Z", expires_at: null, last_used: null, scope: "metrics" }, true],
    ["StatsFigures", { cpu: 12.5, memory_used: 1, memory_total: 2, disk_read: null, disk_write: null, net_rx: null, net_tx: null }, true],
    ["StatsFigures", { cpu: 120, memory_used: 1, memory_total: 2, disk_read: 0, disk_write: 0, net_rx: 0, net_tx: 0 }, false],
    ["StatsFigures", { cpu: 1, memory_used: -1, memory_total: 2, disk_read: 0, disk_write: 0, net_rx: 0, net_tx: 0 }, false],
    ["VmStatsFigures", { cpu: 1, cpu_vcpus: 2, memory_used: 1, memory_total: 2, memory_source: "guest", disk_read: 0, disk_write: 0, net_rx: 0, net_tx: 0 }, true],
    ["VmStatsFigures", { cpu: 1, cpu_vcpus: 2, memory_used: 1, memory_total: 2, memory_source: "balloon", disk_read: 0, disk_write: 0, net_rx: 0, net_tx: 0 }, false],
    ["IpAddress", { address: "10.0.0.2", prefix: 24, family: "ipv4", interface: "vnet0", mac: null, source: "lease" }, true],
    ["IpAddress", { address: "10.0.0.2", prefix: 24, family: "ipv4", interface: "vnet0", mac: null, source: "arp" }, false],
    ["VmList", { vms: [{ name: "a", started_at: null, uptime: null, uptime_source: null, addresses: [], stats: null }], next: null }, true],
    ["VmList", { vms: [{ name: "a", uptime_source: "guess" }], next: null }, false],
    ["HostStats", { range: "1h", step: 5, interval: 5, from: 0, to: 3600, time: [5], series: { cpu: [null] }, units: { cpu: "percent" }, latest: null, cpus: null, devices: null }, true],
    ["HostStats", { range: "2h", step: 5, interval: 5, from: 0, to: 3600, time: [], series: {}, units: {}, latest: null, cpus: 2, devices: null }, false],
    ["VmStats", { range: "1y", step: 3600, interval: 0, from: 0, to: 1, time: [], series: {}, units: {}, latest: null }, false],
    ["GrantCreate", { vm: "alpine" }, true],
    ["GrantCreate", { pool: "images", use: ["media"] }, true],
    ["GrantCreate", { pool: "images", use: ["everything"] }, false],
    ["GrantCreate", { vm: "alpine", role: "operator" }, false],
    ["NewToken", { id: 1, name: "ci", owner: "bob", created_at: "2026-11-25T09:20:11Z", expires_at: null, last_used: null }, false],
    ["AuditPage", { entries: [], next_before: null }, true],
    ["AuditPage", { entries: [] }, false],
    ["VmList", { vms: [], next: null }, true],
    ["VmList", { vms: [{ name: "a", state: "running" }], next: "a" }, true],
    ["VmList", { vms: [{ name: "a", state: "asleep" }], next: null }, false],
    ["VmDetail", { name: "a" }, false],
    ["PoolCreate", { name: "images", type: "dir", path: "/srv/images" }, true],
    ["PoolCreate", { name: "a<b&\"c", type: "dir", path: "/srv/images", autostart: true }, true],
    ["PoolCreate", { name: "images", type: "logical", path: "/srv/images" }, false],
    ["PoolCreate", { name: "images", type: "dir", path: "srv/images" }, false],
    ["PoolCreate", { name: "a/b", type: "dir", path: "/srv/images" }, false],
    ["PoolCreate", { name: "..", type: "dir", path: "/srv/images" }, false],
    ["PoolCreate", { name: "images", type: "dir" }, false],
    ["PoolCreate", { name: "images", type: "dir", path: "/srv/images", size: 1 }, false],
    ["PoolCreate", { name: "images", type: "dir", path: "/srv/images", source: { host: "nas" } }, false],
    ["PoolCreate", { name: "nas", type: "netfs", path: "/srv/nas", source: { host: "nas", dir: "/export" } }, true],
    ["PoolCreate", { name: "nas", type: "netfs", source: { host: "nas", dir: "/export" } }, false],
    ["PoolCreate", { name: "vg", type: "logical" }, true],
    ["PoolCreate", { name: "vg", type: "logical", source: { name: "vg0", devices: ["/dev/sdb"] } }, true],
    ["PoolCreate", { name: "san", type: "iscsi", source: { host: "san", iqn: "iqn.2024-01.x:y", port: 3260 } }, true],
    ["PoolCreate", { name: "san", type: "iscsi" }, false],
    ["PoolCreate", { name: "san", type: "iscsi", source: { host: "san", port: 0 } }, false],
    ["PoolCreate", { name: "fs", type: "fs", path: "/mnt/fs", source: { devices: ["/tmp/x"] } }, false],
    ["PoolPatch", { autostart: false }, true],
    ["PoolPatch", { autostart: "yes" }, false],
    ["PoolPatch", { path: "/x" }, false],
    ["VolumeCreate", { name: "d", capacity: 1, format: "raw" }, true],
    ["VolumeCreate", { name: "d", capacity: 70368744177664, format: "qcow2", backing: "images/base" }, true],
    ["VolumeCreate", { name: "d", capacity: 70368744177665, format: "raw" }, false],
    ["VolumeCreate", { name: "d", capacity: 0, format: "raw" }, false],
    ["VolumeCreate", { name: "d", capacity: -1, format: "raw" }, false],
    ["VolumeCreate", { name: "d", capacity: 1.5, format: "raw" }, false],
    ["VolumeCreate", { name: "d", capacity: "1G", format: "raw" }, false],
    ["VolumeCreate", { name: "d", capacity: 1, format: "iso" }, false],
    ["VolumeCreate", { name: "d", format: "raw" }, false],
    ["VolumeResize", { capacity: 1048576 }, true],
    ["VolumeResize", { capacity: 0 }, false],
    ["VolumeResize", { capacity: 1, shrink: true }, false],
    ["Error", { error: { code: "insufficient_storage", message: "No space left on device" } }, true],
    ["EmptyObject", {}, true],
    ["EmptyObject", { now: true }, false],
  ];
  for (const [name, value, want] of cases) {
    const check = checker(ajv, ref(name));
    if (check(value) !== want) {
      problems.push(`${name} should ${want ? "accept" : "refuse"} ${JSON.stringify(value).slice(0, 80)}`);
    }
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

// ---- test 4: the document lists exactly this milestone's routes, well described --
function testRoutes(doc) {
  const problems = [];
  const got = [...operations(doc)].map(({ path, method }) => opName(method, path));
  const missing = EXPECTED_ROUTES.filter((r) => !got.includes(r));
  const extra = got.filter((r) => !EXPECTED_ROUTES.includes(r));
  if (missing.length) problems.push(`missing routes: ${missing.join(", ")}`);
  if (extra.length) problems.push(`routes not in the contract: ${extra.join(", ")}`);

  const ids = new Set();
  const tags = new Set((doc.tags ?? []).map((t) => t.name));
  for (const { path, method, item, op } of operations(doc)) {
    const name = opName(method, path);
    if (!op.operationId) problems.push(`${name}: no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${name}: duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    if (!op.summary || !op.description) problems.push(`${name}: summary and description wanted`);
    if (!op.tags?.length || op.tags.some((t) => !tags.has(t))) problems.push(`${name}: tags must be declared`);

    const vars = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const unknown = vars.filter((v) => !PATH_VARIABLES.includes(v));
    if (unknown.length) {
      problems.push(`${name}: unexpected path variables ${unknown.join(", ")} (known: ${PATH_VARIABLES.join(", ")})`);
    }
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref(doc, p));
    for (const v of vars) {
      if (!params.some((p) => p.in === "path" && p.name === v && p.required)) {
        problems.push(`${name}: the {${v}} path parameter is not declared`);
      }
    }
    // Only VMs and networks have ETags to compare against; users, sessions and tokens do not.
    if ((path.startsWith("/api/vms/") || path.startsWith("/api/networks/")) && (method === "patch" || method === "delete") &&
        !params.some((p) => p.in === "header" && p.name.toLowerCase() === "if-match")) {
      problems.push(`${name}: If-Match header parameter wanted`);
    }
    // Every JSON request body is a closed object: unknown members are refused.
    // (An upload's body is raw bytes.)
    const reqBody = deref(doc, op.requestBody);
    if (reqBody?.content?.["application/json"]) {
      const schema = deref(doc, reqBody.content?.["application/json"]?.schema);
      if (schema?.additionalProperties !== false) {
        problems.push(`${name}: request body schema must have additionalProperties: false`);
      }
    }
    // Security: public routes opt out of the top-level requirement; the others
    // inherit it and say which role they need.
    const isPublic = PUBLIC_ROUTES.includes(name);
    if (isPublic && !(Array.isArray(op.security) && op.security.length === 0)) {
      problems.push(`${name}: a public route must override security with []`);
    }
    if (!isPublic && op.security !== undefined) {
      problems.push(`${name}: must inherit the top-level security, not override it`);
    }
    if (!/\bAccess: /.test(op.description ?? "")) {
      problems.push(`${name}: the description must say who may call it ("Access: ...")`);
    }
    // A console's WebSocket answers 101 Switching Protocols, never 2xx.
    const success = name === "GET /api/consoles/{ticket}" ? /^101$/ : /^2\d\d$/;
    const ok = Object.keys(op.responses ?? {}).filter((s) => success.test(s));
    // POST /api/vms answers 201, or 202 with a task when it copies a volume;
    // a clone and a snapshot likewise (202 for a full copy, for saving memory).
    const TWO_WAYS = ["POST /api/vms", "POST /api/vms/{vm}/clone", "POST /api/vms/{vm}/snapshots"];
    const wanted = TWO_WAYS.includes(name) ? 2 : 1;
    if (ok.length !== wanted) problems.push(`${name}: ${wanted} 2xx answer(s) wanted, got ${ok.join(",") || "none"}`);
    if (ETAG_ROUTES.includes(name)) {
      const r = deref(doc, op.responses?.[ok[0]]);
      const etag = deref(doc, r?.headers?.ETag);
      if (!etag?.required) problems.push(`${name}: the answer must declare a required ETag header`);
    }
    if (op.responses?.["405"]) {
      const allow = deref(doc, deref(doc, op.responses["405"]).headers?.Allow);
      if (!allow) problems.push(`${name}: 405 must declare the Allow header`);
    }
  }

  const patch = doc.paths?.["/api/vms/{vm}"]?.patch;
  const body = deref(doc, deref(doc, patch?.requestBody)?.content?.["application/json"]?.schema);
  if (body?.additionalProperties !== false) problems.push("PATCH body schema must have additionalProperties: false");

  const del = doc.paths?.["/api/vms/{vm}"]?.delete;
  const delParams = (del?.parameters ?? []).map((p) => deref(doc, p));
  for (const q of ["force", "volumes"]) {
    const p = delParams.find((x) => x.in === "query" && x.name === q);
    if (p?.schema?.type !== "boolean") problems.push(`DELETE /api/vms/{vm}: boolean query parameter ${q} wanted`);
  }
  const list = doc.paths?.["/api/vms"]?.get;
  const listParams = (list?.parameters ?? []).map((p) => deref(doc, p));
  for (const q of ["fields", "limit", "after", "state"]) {
    if (!listParams.some((x) => x.in === "query" && x.name === q)) problems.push(`GET /api/vms: query parameter ${q} wanted`);
  }
  const limit = listParams.find((x) => x.name === "limit")?.schema;
  if (limit?.minimum !== 1 || limit?.maximum !== 1000) problems.push("GET /api/vms: limit must be 1..1000");

  const schemes = doc.components?.securitySchemes ?? {};
  const session = schemes.session;
  if (session?.type !== "apiKey" || session?.in !== "cookie" || session?.name !== "vireo_session") {
    problems.push("securitySchemes.session must be an apiKey in the cookie vireo_session");
  }
  for (const [where, text] of [["securitySchemes.session", session?.description], ["info", doc.info?.description]]) {
    if (!/X-Vireo-CSRF: 1/.test(text ?? "") || !/\bOrigin\b/.test(text ?? "")) {
      problems.push(`${where}.description must state the CSRF rule (same-origin Origin and X-Vireo-CSRF: 1)`);
    }
  }
  const token = schemes.token;
  if (token?.type !== "http" || token?.scheme?.toLowerCase() !== "bearer") {
    problems.push("securitySchemes.token must be http bearer");
  }
  if (JSON.stringify(doc.security) !== JSON.stringify([{ session: [] }, { token: [] }])) {
    problems.push('top-level security must be [{"session": []}, {"token": []}]');
  }
  const audit = (doc.paths?.["/api/audit"]?.get?.parameters ?? []).map((p) => deref(doc, p));
  for (const q of ["user", "since", "until", "before", "limit"]) {
    if (!audit.some((x) => x.in === "query" && x.name === q)) problems.push(`GET /api/audit: query parameter ${q} wanted`);
  }
  const auditLimit = audit.find((x) => x.name === "limit")?.schema;
  if (auditLimit?.minimum !== 1 || auditLimit?.maximum !== 1000) problems.push("GET /api/audit: limit must be 1..1000");
  for (const [route, status] of [["POST /api/tokens", "201"], ["POST /api/users", "201"],
                                 ["POST /api/pools", "201"], ["POST /api/pools/{pool}/volumes", "201"],
                                 ["POST /api/networks", "201"]]) {
    const [m, p] = route.split(" ");
    const r = doc.paths?.[p]?.[m.toLowerCase()]?.responses?.[status];
    if (!responseHeader(doc, r, "Location")?.required) problems.push(`${route}: ${status} must declare a required Location header`);
  }
  for (const [p, m, status] of [["/api/session", "post", "200"], ["/api/session", "delete", "204"]]) {
    const r = doc.paths?.[p]?.[m]?.responses?.[status];
    if (!responseHeader(doc, r, "Set-Cookie")?.required) {
      problems.push(`${m.toUpperCase()} ${p}: ${status} must declare a required Set-Cookie header`);
    }
  }

  if (doc.info?.license?.identifier !== "LGPL-2.1-or-later") problems.push("info.license.identifier must be LGPL-2.1-or-later");
  if (doc.info?.version !== "0.1.0") problems.push("info.version must be 0.1.0");
  if (JSON.stringify(doc.servers) === undefined || doc.servers?.[0]?.url !== "/") problems.push('servers[0].url must be "/"');
  for (const s of ["Host", "VmSummary", "VmDetail", "VmList", "Disk", "Nic", "Graphics", "Error",
                   "Role", "Login", "Whoami", "User", "Session", "Token", "NewToken", "Grant", "AuditEntry"]) {
    if (!doc.components?.schemas?.[s]) problems.push(`components.schemas.${s} missing`);
  }
  const detail = doc.components?.schemas?.VmDetail;
  if (!detail?.allOf?.some((s) => s.$ref === "#/components/schemas/VmSummary")) {
    problems.push("VmDetail must be allOf VmSummary + its own members");
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

// ---- runner -----------------------------------------------------------------
const tests = [
  ["OpenAPI 3.1 document is valid", testValidOpenApi],
  ["every operation has a 4xx answer with the Error schema", testErrorResponses],
  ["examples match the schemas; schemas refuse what the contract refuses", testExamples],
  ["routes, parameters and headers match the contract", testRoutes],
];

let passed = 0;
let failed = 0;
let doc = null;
try {
  doc = JSON.parse(readFileSync(docPath, "utf8"));
} catch (err) {
  console.log(`not ok - ${docPath} cannot be read as JSON: ${err.message}`);
}

if (doc) {
  for (const [name, fn] of tests) {
    try {
      await fn(doc);
      passed++;
      console.log(`ok - ${name}`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${name}`);
      for (const line of String(err?.message ?? err).split("\n")) console.log(`    ${line}`);
    }
  }
} else {
  failed = tests.length;
}

console.log(`# ${docPath}: ${passed} passed, ${failed} failed`);
if (process.env.VIREO_OPENAPI_COUNT_FILE) {
  writeFileSync(process.env.VIREO_OPENAPI_COUNT_FILE, `${passed} ${failed}\n`);
}
process.exit(failed === 0 ? 0 : 1);
