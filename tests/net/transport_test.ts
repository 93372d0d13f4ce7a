import assert from "node:assert/strict";
import { connectH2, HandshakeRefused, listenH2, prepareAccepted } from "../../net/transport.ts";
import { CA, CERT, KEY } from "./_helpers.ts";

Deno.test("listenH2 and connectH2 negotiate ALPN h2 over TLS with a private CA", async () => {
  const l = listenH2({ tls: { cert: CERT, key: KEY } });
  try {
    const accepted = (async () => {
      const c = await l.listener.accept();
      await prepareAccepted(c);
      c.close();
      return true;
    })();
    const conn = await connectH2(new URL(`https://localhost:${l.port}`), { caCerts: [CA] });
    conn.close();
    assert.equal(await accepted, true);
    assert.equal(l.secure, true);
  } finally {
    l.listener.close();
  }
});

Deno.test("prepareAccepted refuses a TLS client that does not offer h2", async () => {
  const l = listenH2({ tls: { cert: CERT, key: KEY } });
  try {
    const accepted = (async () => {
      const c = await l.listener.accept();
      try {
        await prepareAccepted(c);
        return "accepted";
      } catch (e) {
        return e instanceof HandshakeRefused ? "refused" : `other: ${e}`;
      }
    })();
    const client = await Deno.connectTls({
      hostname: "localhost",
      port: l.port,
      caCerts: [CA],
      alpnProtocols: ["http/1.1"],
    });
    await assert.rejects(client.handshake());
    client.close();
    assert.equal(await accepted, "refused");
  } finally {
    l.listener.close();
  }
});

Deno.test("prepareAccepted refuses a TLS client that offers no ALPN at all", async () => {
  const l = listenH2({ tls: { cert: CERT, key: KEY } });
  try {
    const accepted = (async () => {
      const c = await l.listener.accept();
      try {
        await prepareAccepted(c);
        return "accepted";
      } catch (e) {
        return e instanceof HandshakeRefused ? e.message : `other: ${e}`;
      }
    })();
    const client = await Deno.connectTls({ hostname: "localhost", port: l.port, caCerts: [CA] });
    await client.handshake().catch(() => {});
    assert.match(await accepted, /ALPN null/);
    client.close();
  } finally {
    l.listener.close();
  }
});

Deno.test("connectH2 opens cleartext TCP for http: and rejects other schemes", async () => {
  const l = listenH2({});
  try {
    const accepted = l.listener.accept().then((c) => c.close());
    const conn = await connectH2(new URL(`http://127.0.0.1:${l.port}`));
    conn.close();
    await accepted;
    await assert.rejects(connectH2(new URL("ftp://127.0.0.1/")), TypeError);
  } finally {
    l.listener.close();
  }
});

Deno.test("prepareAccepted gives up on a TLS client that never sends its handshake", async () => {
  const l = listenH2({ tls: { cert: CERT, key: KEY } });
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
  try {
    const c = await l.listener.accept();
    await assert.rejects(prepareAccepted(c, 100), (e) => {
      assert.ok(e instanceof HandshakeRefused);
      assert.match(e.message, /no TLS handshake within 100 ms/);
      return true;
    });
  } finally {
    silent.close();
    l.listener.close();
  }
});

Deno.test("connectH2 verifies and sends serverName, not the connect host, when given", async () => {
  const l = listenH2({ tls: { cert: CERT, key: KEY } });
  try {
    const accepted = (async () => {
      const c = await l.listener.accept();
      await prepareAccepted(c).catch(() => {});
      c.close();
    })();
    // 127.0.0.1 is dialled; the certificate is checked against foo.test.google.fr (in its SANs).
    const conn = await connectH2(new URL(`https://127.0.0.1:${l.port}`), {
      caCerts: [CA],
      serverName: "foo.test.google.fr",
    });
    conn.close();
    await accepted;
    // A name the certificate does not cover fails although the dialled IP is covered.
    const refused = (async () => {
      const c = await l.listener.accept();
      // The handshake fails on the client side; prepareAccepted then closes the socket itself.
      await prepareAccepted(c).then(() => c.close(), () => {});
    })();
    await assert.rejects(
      connectH2(new URL(`https://127.0.0.1:${l.port}`), {
        caCerts: [CA],
        serverName: "not-in-the-cert.example",
      }),
    );
    await refused;
  } finally {
    l.listener.close();
  }
});

Deno.test("connectH2 puts serverName in the ClientHello's SNI", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  try {
    const hello = (async () => {
      const c = await l.accept();
      const buf = new Uint8Array(4096);
      const n = await c.read(buf);
      c.close();
      return new TextDecoder("latin1").decode(buf.subarray(0, n ?? 0));
    })();
    await assert.rejects(
      connectH2(new URL(`https://127.0.0.1:${port}`), { caCerts: [CA], serverName: "sni.test" }),
    );
    const text = await hello;
    assert.ok(text.includes("sni.test"));
    assert.ok(text.includes("h2"));
  } finally {
    l.close();
  }
});
