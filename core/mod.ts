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
export * from "./config.ts";
export * from "./connection.ts";
export * from "./events.ts";
export * from "./field_validation.ts";
export * from "./flow_window.ts";
export * from "./settings.ts";
export * from "./stream_state.ts";
export * from "./token_bucket.ts";
export * from "./round_robin_scheduler.ts";
