/**
 * Opening HTTP/2 transports with Deno: TLS listeners and clients that insist
 * on ALPN `h2` (RFC 9113 §3.2), and cleartext TCP for h2c with prior
 * knowledge (§3.3).
 *
 * @module
 */

/** TLS material for a server: PEM strings. */
export interface TlsServerOptions {
  /** PEM certificate chain. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
}

/** Where and how to listen. */
export interface ListenOptions {
  /** Interface to bind; default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** TLS with ALPN h2 when set, h2c (prior knowledge) otherwise. */
  readonly tls?: TlsServerOptions;
}

/** A bound listener and what it serves. */
export interface H2Listener {
  /** The Deno listener. */
  readonly listener: Deno.Listener;
  /** The bound port. */
  readonly port: number;
  /** The bound address. */
  readonly hostname: string;
  /** Whether connections use TLS. */
  readonly secure: boolean;
}

/**
 * Binds a listener for HTTP/2: `Deno.listenTls` offering only ALPN `h2`, or plain TCP.
 *
 * @param options Address, port and optional TLS material.
 * @returns The listener with its bound port.
 */
export function listenH2(options: ListenOptions = {}): H2Listener {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 0;
  const listener = options.tls
    ? Deno.listenTls({
      hostname,
      port,
      cert: options.tls.cert,
      key: options.tls.key,
      alpnProtocols: ["h2"],
    })
    : Deno.listen({ hostname, port, transport: "tcp" });
  const addr = listener.addr as Deno.NetAddr;
  return { listener, port: addr.port, hostname: addr.hostname, secure: options.tls !== undefined };
}

/** Why an accepted connection was refused before HTTP/2 started. */
export class HandshakeRefused extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong.
   * @param cause The TLS error, if any.
   */
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "HandshakeRefused";
  }
}

/**
 * Prepares an accepted connection: for TLS, completes the handshake and checks that `h2` was
 * negotiated (a client without ALPN h2 is refused: RFC 9113 §3.2 requires it); for TCP, turns
 * Nagle off so small frames are not delayed.
 *
 * @param conn The accepted connection.
 * @param handshakeTimeoutMs How long a TLS client may take to finish its handshake.
 * @throws {HandshakeRefused} The TLS handshake failed or did not select h2; `conn` is closed.
 */
export async function prepareAccepted(conn: Deno.Conn, handshakeTimeoutMs = 10_000): Promise<void> {
  if (isTls(conn)) {
    let alpn: string | null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // A client that connects and never completes the handshake must not hold the socket
      // forever (slowloris).
      alpn = (await Promise.race([
        conn.handshake(),
        new Promise<never>((_, reject) =>
          timer = setTimeout(
            () => reject(new Error(`no TLS handshake within ${handshakeTimeoutMs} ms`)),
            handshakeTimeoutMs,
          )
        ),
      ])).alpnProtocol;
    } catch (error) {
      // rustls rejects a client whose ALPN list lacks h2 ("peer doesn't support any known
      // protocol"); the rejection must be caught here or it escapes as an unhandled error.
      safeClose(conn);
      throw new HandshakeRefused(`Cannot accept TLS connection: ${errorText(error)}`, error);
    } finally {
      clearTimeout(timer);
    }
    if (alpn !== "h2") {
      safeClose(conn);
      throw new HandshakeRefused(
        `Cannot accept TLS connection: client negotiated ALPN ${JSON.stringify(alpn)}, not "h2"`,
      );
    }
  } else {
    setNoDelay(conn);
  }
}

/** How the client reaches the server. */
export interface ConnectOptions {
  /** Extra PEM CA certificates to trust (tests use a private CA). */
  readonly caCerts?: readonly string[];
  /**
   * The TLS server name (SNI, and the name the certificate must match) when it differs from
   * the host connected to, as gRPC's `--server_host_override`. `Deno.connectTls` takes no such
   * option, so the TCP connection is opened to the URL's host and upgraded with
   * `Deno.startTls` under this name.
   */
  readonly serverName?: string;
}

/**
 * Opens a client connection for a URL: `https:` uses TLS with ALPN `h2` (fails unless the server
 * selects it), `http:` opens TCP for h2c with prior knowledge.
 *
 * @param url The origin to connect to.
 * @param options Trust anchors and the TLS server name.
 * @returns The connected socket.
 */
export async function connectH2(url: URL, options: ConnectOptions = {}): Promise<Deno.Conn> {
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (url.protocol === "https:") {
    const port = url.port === "" ? 443 : Number(url.port);
    const caCerts = options.caCerts ? [...options.caCerts] : undefined;
    const serverName = options.serverName;
    let conn: Deno.TlsConn;
    if (serverName === undefined || serverName === hostname) {
      conn = await Deno.connectTls({ hostname, port, caCerts, alpnProtocols: ["h2"] });
    } else {
      const tcp = await Deno.connect({ hostname, port, transport: "tcp" });
      setNoDelay(tcp);
      try {
        conn = await Deno.startTls(tcp, { hostname: serverName, caCerts, alpnProtocols: ["h2"] });
      } catch (error) {
        safeClose(tcp);
        throw error;
      }
    }
    let alpn: string | null;
    try {
      alpn = (await conn.handshake()).alpnProtocol;
    } catch (error) {
      safeClose(conn);
      throw error;
    }
    if (alpn !== "h2") {
      safeClose(conn);
      throw new HandshakeRefused(
        `Cannot connect to ${url.host}: server negotiated ALPN ${JSON.stringify(alpn)}, not "h2"`,
      );
    }
    return conn;
  }
  if (url.protocol !== "http:") {
    throw new TypeError(`Cannot connect to "${url.href}": scheme must be http: or https:`);
  }
  const port = url.port === "" ? 80 : Number(url.port);
  const conn = await Deno.connect({ hostname, port, transport: "tcp" });
  setNoDelay(conn);
  return conn;
}

function isTls(conn: Deno.Conn): conn is Deno.TlsConn {
  return typeof (conn as Partial<Deno.TlsConn>).handshake === "function";
}

function setNoDelay(conn: Deno.Conn): void {
  const tcp = conn as Partial<Deno.TcpConn>;
  if (typeof tcp.setNoDelay === "function") tcp.setNoDelay(true);
}

function safeClose(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
