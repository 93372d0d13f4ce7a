/**
 * h2kit: an HTTP/2 and gRPC-compatible RPC toolkit for Deno and edge runtimes.
 *
 * This module is the curated public API. The sans-I/O HTTP/2 core is exported
 * flat; the RPC layer and Brotli are namespaces (`rpc`, `brotli`) so their
 * names never clash with the core's. Subpaths give each layer on its own:
 * `./core`, `./rpc`, `./brotli`.
 *
 * @module
 */

// First: it must run before Effect is evaluated (docs/effect-under-deno.md).
import "./net/effect_async_context.ts";
export * from "./core/mod.ts";
export * from "./net/mod.ts";
export * as rpc from "./rpc/mod.ts";
export * as brotli from "./brotli/mod.ts";
