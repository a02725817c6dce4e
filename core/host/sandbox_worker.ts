/**
 * The code a community plugin's Worker starts with (core/host/sandbox.ts), as a string: the
 * bundle is one file, so the Worker is made from a Blob of this text. It runs before the
 * plugin's own code and:
 *
 * 1. keeps what it needs for itself (the answer buffer, JSON, TextEncoder) out of reach;
 * 2. takes away what a plugin must not have: `Deno` (files, commands, exit), `process`,
 *    `fetch`, `Worker`, storage, `eval` and the Function constructors (no code from strings),
 *    timers given a string, and the console (a plugin prints nothing);
 * 3. imports the plugin from a `data:` URL of the bytes pptkit checked, then answers each
 *    call by writing JSON into a SharedArrayBuffer and waking pptkit with Atomics.notify.
 *
 * Messages in: `{type: "init", sab, url}`, then `{hook, args, devices?, context?, contextId?}`.
 * Answers: `{ok: true, value, reports}` or `{ok: false, error}`; init answers the exports
 * (`name`, `version`, `description`, the hooks that are functions) and the permissions the
 * Worker had before the plugin ran.
 *
 * @module
 */

export const WORKER_SOURCE = String.raw`"use strict";
const G = globalThis;
const apply = Reflect.apply;
const listen = G.addEventListener.bind(G);
const stringify = JSON.stringify;
const encode = TextEncoder.prototype.encode;
const encoder = new TextEncoder();
const setBytes = Uint8Array.prototype.set;
const store = Atomics.store;
const notify = Atomics.notify;
const MapCtor = Map;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const isArray = Array.isArray;
const freeze = Object.freeze;
const importModule = (url) => import(url);

function permissions() {
  const out = {};
  for (const name of ["read", "write", "run", "env", "net", "sys", "ffi"]) {
    try {
      out[name] = G.Deno.permissions.querySync({ name }).state;
    } catch (e) {
      out[name] = "unknown";
    }
  }
  return out;
}

const DENY = [
  "Deno", "process", "Buffer", "global", "require", "fetch", "Worker", "SharedWorker",
  "EventSource", "caches", "CacheStorage", "Cache",
  "localStorage", "sessionStorage", "indexedDB", "BroadcastChannel", "MessageChannel",
  "MessagePort", "navigator", "WorkerNavigator", "location", "WorkerLocation", "close",
  "postMessage", "onmessage", "onmessageerror", "importScripts", "eval", "Function",
  "WebAssembly", "OffscreenCanvas", "createImageBitmap", "Lock", "LockManager", "FileReader",
  "Request", "Response", "Headers", "FormData",
];

function lockDown() {
  for (const name of Object.getOwnPropertyNames(G)) {
    // Besides the list: WebGPU, and every kind of socket.
    if (!DENY.includes(name) && !name.startsWith("GPU") && !/Socket/.test(name)) continue;
    if (!delete G[name] || name in G) throw new Error("cannot take away " + name);
  }
  const refuse = function () {
    throw new TypeError("a pptkit plugin may not make code from strings");
  };
  for (const f of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    Object.defineProperty(Object.getPrototypeOf(f), "constructor", {
      value: refuse, writable: false, configurable: false,
    });
  }
  for (const name of ["setTimeout", "setInterval"]) {
    const timer = G[name];
    G[name] = function (callback, ...rest) {
      if (typeof callback !== "function") throw new TypeError(name + " takes a function");
      return apply(timer, G, [callback, ...rest]);
    };
  }
  const quiet = {};
  for (const key of Object.keys(console)) quiet[key] = () => {};
  Object.defineProperty(G, "console", { value: freeze(quiet), writable: false, configurable: false });
}

let header = null;
let data = null;
let plugin = null;
const devicesById = new MapCtor();
const contexts = new MapCtor();

function answer(value) {
  let text;
  try {
    text = stringify(value);
  } catch (e) {
    text = stringify({ ok: false, error: "its answer cannot be read: " + String(e && e.message) });
  }
  let bytes = apply(encode, encoder, [text === undefined ? "null" : text]);
  if (bytes.length > data.length) {
    bytes = apply(encode, encoder, [stringify({ ok: false, error: "its answer is too large" })]);
  }
  apply(setBytes, data, [bytes]);
  store(header, 1, bytes.length);
  store(header, 0, 1);
  notify(header, 0);
}

function fail(e) {
  const text = e instanceof Error ? e.message : String(e);
  return { ok: false, error: String(text).split("\n")[0] };
}

function key(a) {
  return a.domain + ":" + a.bus + ":" + a.slot + ":" + a.function;
}

function makeContext(d) {
  const devices = apply(mapGet, devicesById, [d.devices]);
  const users = new MapCtor(d.users);
  const locks = new MapCtor(d.locks);
  const state = { reports: null };
  let slots = null;
  const ctx = freeze({
    devices,
    vm: d.vm,
    release: d.release,
    slotOf(device) {
      if (slots === null) {
        slots = new MapCtor();
        for (const x of devices) {
          const k = x.address.domain + ":" + x.address.bus + ":" + x.address.slot;
          const list = slots.get(k);
          if (list === undefined) slots.set(k, [x]);
          else list.push(x);
        }
        for (const list of slots.values()) list.sort((a, b) => a.address.function - b.address.function);
      }
      const a = device.address;
      return slots.get(a.domain + ":" + a.bus + ":" + a.slot) || [device];
    },
    usersOf(device) {
      return users.get(key(device.address)) || [];
    },
    lockedBy(device) {
      const vm = locks.get(key(device.address));
      return vm === undefined ? null : vm;
    },
    report(finding) {
      if (state.reports !== null) state.reports.push(finding);
    },
  });
  return { ctx, state };
}

async function init(m) {
  header = new Int32Array(m.sab, 0, 2);
  data = new Uint8Array(m.sab, 8);
  const had = permissions();
  lockDown();
  const mod = await importModule(m.url);
  const p = mod.default;
  if (typeof p !== "object" || p === null) {
    return { ok: true, exports: null, permissions: had };
  }
  plugin = p;
  const hooks = [];
  for (const hook of ["matches", "inspect", "group", "prestart"]) {
    if (typeof p[hook] === "function") hooks.push(hook);
    else if (p[hook] !== undefined) hooks.push(hook + ":not-a-function");
  }
  const text = (v) => (typeof v === "string" ? v : v === undefined ? undefined : null);
  return {
    ok: true,
    exports: { name: text(p.name), version: text(p.version), description: text(p.description), hooks },
    permissions: had,
  };
}

function call(m) {
  if (m.devices !== undefined) apply(mapSet, devicesById, [m.devices.id, m.devices.list]);
  if (m.context !== undefined) apply(mapSet, contexts, [m.context.id, makeContext(m.context)]);
  const args = isArray(m.args) ? m.args : [];
  const context = m.contextId === undefined ? undefined : apply(mapGet, contexts, [m.contextId]);
  const reports = [];
  if (context !== undefined) {
    context.state.reports = reports;
    args.push(context.ctx);
  }
  try {
    const value = apply(plugin[m.hook], plugin, args);
    return { ok: true, value: value === undefined ? null : value, reports };
  } finally {
    if (context !== undefined) context.state.reports = null;
  }
}

listen("message", (event) => {
  const m = event.data;
  if (m.type === "init") {
    init(m).then(answer, (e) => answer(fail(e)));
    return;
  }
  let out;
  try {
    out = call(m);
  } catch (e) {
    out = fail(e);
  }
  answer(out);
});
`;
