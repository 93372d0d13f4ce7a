import assert from "node:assert/strict";
import { type ByteConn, H2Socket } from "../../net/socket.ts";

/** A scripted connection: reads come from `incoming`, writes are recorded and gated. */
class FakeConn implements ByteConn {
  writes: Uint8Array[] = [];
  incoming: Array<Uint8Array | null> = [];
  closed = false;
  #readWaiter: (() => void) | undefined;
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;
  /** Bytes accepted per write call (simulates short writes). */
  maxWrite = Infinity;

  holdWrites(): void {
    this.#gate = new Promise((r) => this.#openGate = r);
  }
  releaseWrites(): void {
    this.#openGate?.();
    this.#gate = undefined;
  }
  feed(chunk: Uint8Array | null): void {
    this.incoming.push(chunk);
    this.#readWaiter?.();
  }
  async read(p: Uint8Array): Promise<number | null> {
    while (this.incoming.length === 0) {
      await new Promise<void>((r) => this.#readWaiter = r);
    }
    const next = this.incoming.shift()!;
    if (next === null) return null;
    if (next.length > p.length) {
      // A short read: the rest arrives with the next call.
      this.incoming.unshift(next.subarray(p.length));
      p.set(next.subarray(0, p.length));
      return p.length;
    }
    p.set(next);
    return next.length;
  }
  async write(p: Uint8Array): Promise<number> {
    if (this.#gate) await this.#gate;
    const n = Math.min(p.length, this.maxWrite);
    this.writes.push(p.slice(0, n));
    return n;
  }
  close(): void {
    this.closed = true;
  }
}

function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

Deno.test("H2Socket coalesces flushes in one task into a single write", async () => {
  const conn = new FakeConn();
  let queued: number[] = [];
  const socket = new H2Socket(conn, {
    onData() {},
    pull: () => {
      const out = new Uint8Array(queued);
      queued = [];
      return out;
    },
    onClose() {},
  });
  queued.push(1);
  socket.flush();
  queued.push(2);
  socket.flush();
  queued.push(3);
  socket.flush();
  await socket.idle();
  assert.deepEqual(conn.writes, [new Uint8Array([1, 2, 3])]);
});

Deno.test("H2Socket batches everything queued during an in-flight write into the next write", async () => {
  const conn = new FakeConn();
  let queued: number[] = [];
  let pulls = 0;
  const socket = new H2Socket(conn, {
    onData() {},
    pull: () => {
      pulls++;
      const out = new Uint8Array(queued);
      queued = [];
      return out;
    },
    onClose() {},
  });
  conn.holdWrites();
  queued.push(1);
  socket.flush();
  await tick();
  for (let i = 2; i <= 5; i++) {
    queued.push(i);
    socket.flush();
    await tick();
  }
  conn.releaseWrites();
  await socket.idle();
  assert.deepEqual(conn.writes, [new Uint8Array([1]), new Uint8Array([2, 3, 4, 5])]);
  assert.equal(pulls, 2);
});

Deno.test("H2Socket finishes short writes", async () => {
  const conn = new FakeConn();
  conn.maxWrite = 3;
  let once = true;
  const socket = new H2Socket(conn, {
    onData() {},
    pull: () => {
      if (!once) return undefined;
      once = false;
      return new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    },
    onClose() {},
  });
  socket.flush();
  await socket.idle();
  assert.deepEqual(conn.writes, [
    new Uint8Array([1, 2, 3]),
    new Uint8Array([4, 5, 6]),
    new Uint8Array([7]),
  ]);
  assert.equal(socket.bytesWritten, 7);
});

Deno.test("H2Socket hands out views that stay valid across later reads, then reports EOF once", async () => {
  const conn = new FakeConn();
  const seen: Uint8Array[] = [];
  const closes: unknown[] = [];
  const socket = new H2Socket(conn, {
    onData: (c) => seen.push(c),
    pull: () => undefined,
    onClose: (e) => closes.push(e ?? "eof"),
  });
  socket.start();
  // Enough reads to roll over to a new slab more than once.
  const sizes = [40_000, 30_000, 60_000, 5, 64 * 1024];
  for (let i = 0; i < sizes.length; i++) conn.feed(new Uint8Array(sizes[i]).fill(i + 1));
  conn.feed(null);
  while (closes.length === 0) await tick();
  // Every view handed out still holds what was read into it, after all later reads.
  const expected = sizes.flatMap((n, i) => Array<number>(n).fill(i + 1));
  const actual = seen.flatMap((c) => Array.from(c));
  assert.equal(actual.length, expected.length);
  assert.ok(actual.every((b, i) => b === expected[i]), "a view was overwritten");
  assert.ok(seen.length >= sizes.length);
  assert.deepEqual(closes, ["eof"]);
  assert.equal(conn.closed, true);
  assert.equal(socket.closed, true);
});

Deno.test("H2Socket reports a write failure once and closes", async () => {
  const closes: unknown[] = [];
  const conn: ByteConn = {
    read: () => new Promise(() => {}),
    write: () => Promise.reject(new Error("broken pipe")),
    close() {},
  };
  const socket = new H2Socket(conn, {
    onData() {},
    pull: () => new Uint8Array([1]),
    onClose: (e) => closes.push(e),
  });
  socket.flush();
  await socket.idle();
  while (closes.length === 0) await tick();
  assert.equal(closes.length, 1);
  assert.match(String(closes[0]), /broken pipe/);
  socket.flush(); // no-op after close
  assert.equal(closes.length, 1);
});
