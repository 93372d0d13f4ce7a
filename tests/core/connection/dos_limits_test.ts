import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { GET, only, POST, server, types } from "./_harness.ts";

function calm(events: ReturnType<ReturnType<typeof server>["conn"]["receive"]>): void {
  const t = events.find((e) => e.type === "connection_terminated");
  assert.ok(t !== undefined, `expected termination, got ${types(events)}`);
  assert.equal(t.type === "connection_terminated" && t.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
}

Deno.test("H2Connection stops Rapid Reset floods with GOAWAY ENHANCE_YOUR_CALM", () => {
  const { conn, peer } = server({ resetRate: { burst: 50, perSecond: 10 } });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 60; i++) {
    const id = 1 + 2 * i;
    parts.push(peer.headers(id, GET), peer.ff.rstStream(id, ErrorCode.CANCEL));
  }
  calm(conn.receive(FrameFactory.concat(...parts), 0));
});

Deno.test("H2Connection refills the reset budget over time", () => {
  const { conn, peer } = server({ resetRate: { burst: 10, perSecond: 10 } });
  let t = 0;
  for (let i = 0; i < 100; i++) {
    const id = 1 + 2 * i;
    const ev = conn.receive(
      FrameFactory.concat(peer.headers(id, GET), peer.ff.rstStream(id, 8)),
      t,
    );
    assert.ok(!ev.some((e) => e.type === "connection_terminated"), `reset ${i}`);
    t += 200; // 2 tokens back per reset
  }
});

Deno.test("H2Connection limits streams it resets for peer errors (MadeYouReset)", () => {
  const { conn, peer } = server({ localResetRate: { burst: 20, perSecond: 1 } });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    const id = 1 + 2 * i;
    // Each stream provokes a stream error: WINDOW_UPDATE overflow on a valid stream.
    parts.push(peer.headers(id, GET, { endStream: true }), peer.ff.windowUpdate(id, 0x7fff_ffff));
  }
  calm(conn.receive(FrameFactory.concat(...parts), 0));
});

Deno.test("H2Connection caps CONTINUATION frames per field block", () => {
  const { conn, peer } = server({ maxContinuationFrames: 4 });
  const parts = [peer.ff.headers(1, new Uint8Array([0x82]), { endHeaders: false })];
  for (let i = 0; i < 5; i++) {
    parts.push(peer.ff.continuation(1, new Uint8Array([0x84]), { endHeaders: false }));
  }
  calm(conn.receive(FrameFactory.concat(...parts)));
});

Deno.test("H2Connection caps the bytes of one field block", () => {
  const { conn, peer } = server({ maxHeaderBlockSize: 20_000 });
  const big = new Uint8Array(15_000);
  const ev = conn.receive(
    FrameFactory.concat(
      peer.ff.headers(1, big, { endHeaders: false }),
      peer.ff.continuation(1, big, { endHeaders: false }),
    ),
  );
  calm(ev);
});

Deno.test("H2Connection rejects an oversized header list with a stream reset and stays in sync", () => {
  const { conn, peer } = server({ maxHeaderListSize: 1000 });
  const big = [...GET, { name: "x-big", value: "a".repeat(2000) }];
  const ev = conn.receive(peer.headers(1, big, { endStream: true }));
  const r = only(ev, "stream_reset");
  assert.equal(r.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
  assert.deepEqual(types(conn.receive(peer.headers(3, GET, { endStream: true }))), [
    "request_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection closes when the peer does not read its PING ACKs", () => {
  const { conn, peer } = server({ maxQueuedControlFrames: 100 });
  const pings = FrameFactory.concat(...Array.from({ length: 101 }, () => peer.ff.ping()));
  calm(conn.receive(pings));
  // Draining resets the count: a reading peer may ping as much as the rate allows.
  const b = server({ maxQueuedControlFrames: 100 });
  for (let i = 0; i < 5; i++) {
    const ev = b.conn.receive(
      FrameFactory.concat(...Array.from({ length: 90 }, () => b.peer.ff.ping())),
    );
    assert.ok(!ev.some((e) => e.type === "connection_terminated"));
    b.conn.dataToSend();
  }
});

Deno.test("H2Connection rate-limits SETTINGS and PING floods", () => {
  // Two tokens went to the handshake (SETTINGS and its ACK).
  const { conn, peer } = server({ controlFrameRate: { burst: 102, perSecond: 10 } });
  let ev = conn.receive(
    FrameFactory.concat(...Array.from({ length: 100 }, () => peer.ff.settings())),
    0,
  );
  assert.ok(!ev.some((e) => e.type === "connection_terminated"));
  conn.dataToSend();
  ev = conn.receive(peer.ff.ping(), 0);
  calm(ev);
});

Deno.test("H2Connection limits empty DATA frames", () => {
  const { conn, peer } = server({ maxEmptyFrames: 10 });
  conn.receive(peer.headers(1, POST));
  calm(conn.receive(FrameFactory.concat(...Array.from({ length: 11 }, () => peer.ff.data(1)))));
});

Deno.test("H2Connection limits empty CONTINUATION frames", () => {
  const { conn, peer } = server({ maxEmptyFrames: 10, maxContinuationFrames: 1000 });
  const parts = [peer.ff.headers(1, new Uint8Array(0), { endHeaders: false })];
  for (let i = 0; i < 12; i++) {
    parts.push(peer.ff.continuation(1, new Uint8Array(0), { endHeaders: false }));
  }
  calm(conn.receive(FrameFactory.concat(...parts)));
});

Deno.test("H2Connection limits WINDOW_UPDATE storms that our sending did not earn", () => {
  const { conn, peer } = server({ maxWindowUpdateCredit: 50 });
  calm(
    conn.receive(
      FrameFactory.concat(...Array.from({ length: 51 }, () => peer.ff.windowUpdate(0, 1))),
    ),
  );
  // A peer returning window for data we sent stays within its credit.
  const b = server({ maxWindowUpdateCredit: 50 });
  b.conn.receive(b.peer.headers(1, GET, { endStream: true }));
  b.conn.sendHeaders(1, [{ name: ":status", value: "200" }]);
  for (let i = 0; i < 200; i++) {
    b.conn.sendData(1, new Uint8Array(100));
    b.conn.dataToSend();
    const ev = b.conn.receive(
      FrameFactory.concat(b.peer.ff.windowUpdate(0, 100), b.peer.ff.windowUpdate(1, 100)),
    );
    assert.equal(ev.length, 2);
  }
});

Deno.test("H2Connection rejects SETTINGS frames with too many entries", () => {
  const { conn, peer } = server();
  const entries = Array.from({ length: 33 }, () => [0x50, 1] as const);
  calm(conn.receive(peer.ff.settings(entries)));
});

Deno.test("H2Connection remembers a bounded number of closed streams", () => {
  const { conn, peer } = server({ maxClosedStreams: 8 });
  for (let i = 0; i < 50; i++) {
    const id = 1 + 2 * i;
    conn.receive(peer.headers(id, GET, { endStream: true }));
    conn.resetStream(id);
  }
  conn.dataToSend();
  // Old streams are forgotten: a late DATA on one is a stream error, not a crash or a leak.
  const ev = conn.receive(peer.ff.data(1, "x"));
  assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.STREAM_CLOSED);
});

Deno.test("H2Connection counts only empty DATA frames in a row", () => {
  const { conn, peer } = server({ maxEmptyFrames: 10 });
  conn.receive(peer.headers(1, POST));
  for (let round = 0; round < 5; round++) {
    const empties = FrameFactory.concat(...Array.from({ length: 8 }, () => peer.ff.data(1)));
    const ev = conn.receive(FrameFactory.concat(empties, peer.ff.data(1, "x")));
    assert.ok(!ev.some((e) => e.type === "connection_terminated"), `round ${round}`);
  }
});
