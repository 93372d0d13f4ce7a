/**
 * The sans-I/O HTTP/2 core: framing, HPACK, and (in later modules) the
 * connection and stream state machines. Bytes in, typed events out; commands
 * in, bytes to send out. No I/O, no timers, no dependencies: it runs
 * unchanged in any JavaScript runtime.
 *
 * @module
 */

export * from "./error_code.ts";
export * from "./errors.ts";
export * from "./byte_writer.ts";
export * from "./frame/mod.ts";
export * from "./priority/mod.ts";
export * from "./hpack/mod.ts";
