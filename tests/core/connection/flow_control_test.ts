import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { UsageError } from "../../../core/errors.ts";
import { type DataFrame, FrameType, type WindowUpdateFrame } from "../../../core/frame/mod.ts";
import { SettingCode } from "../../../core/settings.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { client, GET, OK, only, pair, POST, server, types } from "./_harness.ts";

Deno.test("H2Connection never sends DATA beyond the stream window", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.sendHeaders(1, OK);
  assert.equal(conn.localFlowControlWindow(1), 65_535);
  assert.throws(() => conn.sendData(1, new Uint8Array(65_536)), UsageError);
  conn.sendData(1, new Uint8Array(65_535));
  assert.equal(conn.localFlowControlWindow(1), 0);
  const frames = peer.frames(conn.dataToSend()).filter((f) => f.type === FrameType.DATA);
  assert.deepEqual(frames.map((f) => (f as DataFrame).data.length), [16384, 16384, 16384, 16383]);
  assert.throws(() => conn.sendData(1, new Uint8Array(1)), UsageError);
  const ev = conn.receive(
    FrameFactory.concat(peer.ff.windowUpdate(0, 10), peer.ff.windowUpdate(1, 5)),
  );
  assert.deepEqual(types(ev), ["window_updated", "window_updated"]);
  assert.equal(conn.localFlowControlWindow(1), 5);
  assert.equal(conn.localFlowControlWindow(0), 10);
});

Deno.test("H2Connection splits DATA at the peer's SETTINGS_MAX_FRAME_SIZE", () => {
  const { conn, peer } = client({}, [[SettingCode.MAX_FRAME_SIZE, 20_000], [
    SettingCode.INITIAL_WINDOW_SIZE,
    1 << 20,
  ]]);
  conn.receive(peer.ff.windowUpdate(0, 1 << 20));
  conn.sendHeaders(1, POST);
  conn.sendData(1, new Uint8Array(50_000), { endStream: true });
  const frames = peer.frames(conn.dataToSend()).filter((f) =>
    f.type === FrameType.DATA
  ) as DataFrame[];
  assert.deepEqual(frames.map((f) => f.data.length), [20_000, 20_000, 10_000]);
  assert.deepEqual(frames.map((f) => f.endStream), [false, false, true]);
});

Deno.test("H2Connection applies SETTINGS_INITIAL_WINDOW_SIZE changes to open streams (may go negative)", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.sendHeaders(1, OK);
  conn.sendData(1, new Uint8Array(60_000));
  conn.receive(peer.ff.settings([[SettingCode.INITIAL_WINDOW_SIZE, 1000]]));
  // 1000 - 60000: the window is negative and nothing can be sent until updates arrive.
  assert.equal(conn.localFlowControlWindow(1), 0);
  conn.receive(peer.ff.windowUpdate(1, 59_500));
  assert.equal(conn.localFlowControlWindow(1), 500);
  conn.receive(peer.ff.settings([[SettingCode.INITIAL_WINDOW_SIZE, 2000]]));
  assert.equal(conn.localFlowControlWindow(1), 1500);
});

Deno.test("H2Connection treats window overflow past 2^31-1 as FLOW_CONTROL_ERROR", () => {
  {
    const { conn, peer } = server();
    const ev = conn.receive(peer.ff.windowUpdate(0, 0x7fff_ffff));
    assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.FLOW_CONTROL_ERROR);
  }
  {
    const { conn, peer } = server();
    conn.receive(peer.headers(1, GET, { endStream: true }));
    const ev = conn.receive(peer.ff.windowUpdate(1, 0x7fff_ffff));
    const r = only(ev, "stream_reset");
    assert.equal(r.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
    assert.ok(!conn.isClosed);
  }
  {
    const { conn, peer } = server();
    conn.receive(peer.headers(1, GET, { endStream: true }));
    conn.receive(peer.ff.windowUpdate(1, 0x7fff_ffff - 65_535));
    const ev = conn.receive(peer.ff.settings([[SettingCode.INITIAL_WINDOW_SIZE, 65_536]]));
    assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.FLOW_CONTROL_ERROR);
  }
});

Deno.test("H2Connection rejects DATA beyond its receive windows", () => {
  {
    const { conn, peer } = server({ initialWindowSize: 100 });
    conn.receive(peer.ff.settingsAck()); // nothing pending: ignored
    conn.receive(peer.headers(1, POST));
    // Our SETTINGS (100) were acknowledged in the handshake, so stream 1 has 100 octets.
    const ev = conn.receive(peer.ff.data(1, new Uint8Array(101)));
    assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.FLOW_CONTROL_ERROR);
  }
  {
    const { conn, peer } = server({ initialWindowSize: 1 << 20 });
    for (const id of [1, 3, 5, 7, 9]) conn.receive(peer.headers(id, POST));
    const ev: string[] = [];
    for (const id of [1, 3, 5, 7, 9]) {
      ev.push(...types(conn.receive(peer.ff.data(id, new Uint8Array(16_000)))));
    }
    assert.equal(ev.at(-1), "connection_terminated");
  }
});

Deno.test("H2Connection returns window only as the application consumes data, in batches", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  const ev = conn.receive(
    FrameFactory.concat(
      peer.ff.data(1, new Uint8Array(10_000)),
      peer.ff.data(1, new Uint8Array(10_000)),
    ),
  );
  assert.equal(peer.frames(conn.dataToSend()).length, 0); // nothing consumed yet
  assert.equal(conn.remoteFlowControlWindow(1), 45_535);
  for (const e of ev) {
    if (e.type === "data_received") conn.acknowledgeReceivedData(1, e.flowControlledLength);
  }
  assert.equal(peer.frames(conn.dataToSend()).length, 0); // 20000 < half the window: batching
  conn.receive(peer.ff.data(1, new Uint8Array(15_000)));
  conn.acknowledgeReceivedData(1, 15_000);
  const wu = peer.frames(conn.dataToSend()) as WindowUpdateFrame[];
  assert.deepEqual(wu.map((f) => [f.type, f.streamId, f.increment]), [
    [FrameType.WINDOW_UPDATE, 0, 35_000],
    [FrameType.WINDOW_UPDATE, 1, 35_000],
  ]);
  assert.equal(conn.remoteFlowControlWindow(1), 65_535);
});

Deno.test("H2Connection counts padding against flow control", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  const ev = conn.receive(peer.ff.data(1, "abc", { padLength: 10 }));
  const d = only(ev, "data_received");
  assert.equal(d.data.length, 3);
  assert.equal(d.flowControlledLength, 14);
  assert.equal(conn.remoteFlowControlWindow(1), 65_535 - 14);
});

Deno.test("H2Connection enqueueData sends as windows open and round-robins streams", () => {
  const { client: c, server: s } = pair();
  for (const id of [1, 3]) {
    c.sendHeaders(id, GET, { endStream: true });
  }
  s.receive(c.dataToSend());
  for (const id of [1, 3]) {
    s.sendHeaders(id, OK);
    s.enqueueData(id, new Uint8Array(70_000).fill(id), { endStream: true });
  }
  assert.equal(s.bufferedAmount(1), 70_000);
  const got = new Map<number, number>();
  let ended = 0;
  for (let round = 0; round < 20 && ended < 2; round++) {
    for (const e of c.receive(s.dataToSend())) {
      if (e.type === "data_received") {
        assert.ok(e.data.every((b) => b === e.streamId));
        got.set(e.streamId, (got.get(e.streamId) ?? 0) + e.data.length);
        c.acknowledgeReceivedData(e.streamId, e.flowControlledLength);
      } else if (e.type === "stream_ended") ended++;
    }
    s.receive(c.dataToSend());
  }
  assert.equal(ended, 2);
  assert.equal(got.get(1), 70_000);
  assert.equal(got.get(3), 70_000);
  assert.equal(s.bufferedAmount(1), 0);
});

Deno.test("H2Connection configures a larger connection window at start", () => {
  const { client: c, server: s } = pair({
    connectionWindowSize: 1 << 24,
    initialWindowSize: 1 << 22,
  });
  assert.equal(s.localFlowControlWindow(0), 1 << 24);
  assert.equal(c.remoteFlowControlWindow(0), 1 << 24);
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(1, OK);
  assert.equal(s.localFlowControlWindow(1), 1 << 22);
});

Deno.test("H2Connection incrementFlowControlWindow sends a manual WINDOW_UPDATE", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  conn.incrementFlowControlWindow(1000);
  conn.incrementFlowControlWindow(500, 1);
  const f = peer.frames(conn.dataToSend()) as WindowUpdateFrame[];
  assert.deepEqual(f.map((x) => [x.streamId, x.increment]), [[0, 1000], [1, 500]]);
  assert.equal(conn.remoteFlowControlWindow(1), 66_035);
  assert.throws(() => conn.incrementFlowControlWindow(0), UsageError);
});

Deno.test("H2Connection returns a closed stream's unacknowledged data to the connection window", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  conn.receive(
    FrameFactory.concat(
      peer.ff.data(1, new Uint8Array(16_000)),
      peer.ff.data(1, new Uint8Array(16_000)),
      peer.ff.data(1, new Uint8Array(16_000)),
    ),
  );
  conn.dataToSend();
  assert.equal(conn.remoteFlowControlWindow(0), 65_535 - 48_000);
  // The peer gives up on the stream; the application never reads the data.
  const ev = conn.receive(peer.ff.rstStream(1, ErrorCode.CANCEL));
  assert.equal(only(ev, "stream_reset").remoteReset, true);
  const wu = peer.frames(conn.dataToSend()) as WindowUpdateFrame[];
  assert.deepEqual(wu.map((f) => [f.streamId, f.increment]), [[0, 48_000]]);
  assert.equal(conn.remoteFlowControlWindow(0), 65_535);
  // A late acknowledgement for the closed stream changes nothing.
  conn.acknowledgeReceivedData(1, 48_000);
  assert.equal(conn.dataToSend().length, 0);
  assert.equal(conn.remoteFlowControlWindow(0), 65_535);
});

Deno.test("H2Connection refuses to send headers beyond the peer's SETTINGS_MAX_HEADER_LIST_SIZE", () => {
  const { conn } = client({}, [[SettingCode.MAX_HEADER_LIST_SIZE, 200]]);
  assert.throws(
    () => conn.sendHeaders(1, [...GET, { name: "x", value: "y".repeat(100) }]),
    UsageError,
  );
  conn.sendHeaders(1, GET, { endStream: true });
});
