/**
 * h2kit: an HTTP/2 and gRPC-compatible RPC toolkit for Deno and edge runtimes.
 *
 * This module is the curated public API. Subpaths give each layer on its own:
 * `@h2kit/h2kit/core` is the sans-I/O HTTP/2 stack.
 *
 * @module
 */

export * from "./core/mod.ts";
