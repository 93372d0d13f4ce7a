/**
 * h2kit's I/O layer: an Effect-native HTTP/2 server and client over Deno TCP
 * and TLS, driving the sans-I/O core, plus a Promise facade.
 *
 * - {@link serve}: scoped server (TLS with ALPN h2, or h2c), graceful shutdown on scope close.
 * - {@link connect}: scoped client multiplexing requests over one connection.
 * - {@link serveH2}, {@link H2FetchClient}, {@link fetchH2}: the same without Effect.
 * - {@link withContentEncoding}: br/gzip response compression; the client decodes by default.
 *
 * @module
 */

// First: it must run before Effect is evaluated (docs/effect-under-deno.md).
import "./effect_async_context.ts";
export * from "./errors.ts";
export * from "./headers.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./promise.ts";
export * from "./content_coding.ts";
export * from "./content_encoding.ts";
export { type BodyInput, type TrailersInput } from "./_session.ts";
export {
  connectH2,
  type ConnectOptions,
  type H2Listener,
  HandshakeRefused,
  listenH2,
  type ListenOptions,
  prepareAccepted,
  type TlsServerOptions,
} from "./transport.ts";
export { type ByteConn, H2Socket, type H2SocketHandler } from "./socket.ts";
