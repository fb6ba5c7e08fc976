/**
 * node:http and node:https for the engine's start-up path, taken with
 * `process.getBuiltinModule` instead of an ES `import`. Importing a builtin
 * from an ES module makes Node build its ESM facade, which reads every export;
 * node:http's `WebSocket`, `CloseEvent` and `MessageEvent` exports are lazy
 * getters that load undici (Node's fetch). Measured on Node 24.21: ≈ 35–45 ms
 * of every `stratus sync` start-up (and undici's memory) for a module the
 * sync path never uses; through getBuiltinModule, ≈ 6 ms. Types still come
 * from `import type`, which emits nothing.
 */
export const nodeHttp = process.getBuiltinModule('node:http');
export const nodeHttps = process.getBuiltinModule('node:https');
