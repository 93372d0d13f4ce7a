import assert from "node:assert/strict";
import { H2Connection } from "../../../core/connection.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import { UsageError } from "../../../core/errors.ts";
import { FrameType, type SettingsFrame } from "../../../core/frame/mod.ts";
import { SettingCode } from "../../../core/settings.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { client, GET, only, Peer, POST, server, types } from "./_harness.ts";

Deno.test("H2Connection advertises its settings and ACKs the peer's", () => {
  const conn = new H2Connection({
    role: "server",
    maxConcurrentStreams: 50,
    initialWindowSize: 1000,
  });
  conn.initiateConnection();
  const peer = new Peer();
  const first = peer.frames(conn.dataToSend())[0] as SettingsFrame;
  assert.equal(first.type, FrameType.SETTINGS);
  assert.deepEqual(new Map(first.settings).get(SettingCode.MAX_CONCURRENT_STREAMS), 50);
  assert.deepEqual(new Map(first.settings).get(SettingCode.INITIAL_WINDOW_SIZE), 1000);
  const ev = conn.receive(
    FrameFactory.concat(
      peer.ff.preface(),
      peer.ff.settings([[SettingCode.MAX_FRAME_SIZE, 32768], [0xf0, 7]]),
    ),
  );
  const changed = only(ev, "remote_settings_changed").changed;
  assert.deepEqual(changed, [
    { id: SettingCode.MAX_FRAME_SIZE, oldValue: 16384, newValue: 32768 },
    { id: 0xf0, oldValue: undefined, newValue: 7 },
  ]);
  assert.equal(conn.remoteSettings.maxFrameSize, 32768);
  const ack = peer.frames(conn.dataToSend())[0] as SettingsFrame;
  assert.equal(ack.ack, true);
});

Deno.test("H2Connection applies its own settings only when acknowledged", () => {
  const conn = new H2Connection({ role: "server", initialWindowSize: 1000 });
  const peer = new Peer();
  conn.initiateConnection();
  conn.receive(FrameFactory.concat(peer.ff.preface(), peer.ff.settings()));
  assert.equal(conn.localSettings.initialWindowSize, 65_535);
  assert.equal(conn.pendingLocalSettings.initialWindowSize, 1000);
  conn.receive(peer.headers(1, POST));
  assert.equal(conn.remoteFlowControlWindow(1), 65_535);
  const ev = conn.receive(peer.ff.settingsAck());
  const acked = only(ev, "settings_acknowledged").changed;
  assert.ok(acked.some((c) => c.id === SettingCode.INITIAL_WINDOW_SIZE && c.newValue === 1000));
  // The open stream's receive window shrank by the delta.
  assert.equal(conn.remoteFlowControlWindow(1), 1000);
  assert.equal(conn.localSettings.initialWindowSize, 1000);
});

Deno.test("H2Connection raises the accepted frame size once MAX_FRAME_SIZE is acknowledged", () => {
  const { conn, peer } = server();
  conn.updateSettings({ maxFrameSize: 40_000 });
  conn.receive(peer.headers(1, POST));
  // Before the ACK a 20000-octet frame is still too large.
  const early = server();
  early.conn.updateSettings({ maxFrameSize: 40_000 });
  early.conn.receive(early.peer.headers(1, POST));
  assert.equal(
    only(early.conn.receive(early.peer.ff.data(1, new Uint8Array(20_000))), "connection_terminated")
      .errorCode,
    ErrorCode.FRAME_SIZE_ERROR,
  );
  conn.receive(peer.ff.settingsAck());
  assert.deepEqual(types(conn.receive(peer.ff.data(1, new Uint8Array(20_000)))), ["data_received"]);
});

Deno.test("H2Connection validates received SETTINGS values", () => {
  const cases: [number, number, number][] = [
    [SettingCode.ENABLE_PUSH, 2, ErrorCode.PROTOCOL_ERROR],
    [SettingCode.INITIAL_WINDOW_SIZE, 0x8000_0000, ErrorCode.FLOW_CONTROL_ERROR],
    [SettingCode.MAX_FRAME_SIZE, 16_383, ErrorCode.PROTOCOL_ERROR],
    [SettingCode.MAX_FRAME_SIZE, 16_777_216, ErrorCode.PROTOCOL_ERROR],
    [SettingCode.ENABLE_CONNECT_PROTOCOL, 2, ErrorCode.PROTOCOL_ERROR],
  ];
  for (const [id, value, code] of cases) {
    const { conn, peer } = server();
    const ev = conn.receive(peer.ff.settings([[id, value]]));
    assert.equal(only(ev, "connection_terminated").errorCode, code, `setting ${id}=${value}`);
  }
  // A server may not enable push.
  const { conn, peer } = client();
  const ev = conn.receive(peer.ff.settings([[SettingCode.ENABLE_PUSH, 1]]));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  // ENABLE_CONNECT_PROTOCOL cannot go back to 0.
  const c2 = client({}, [[SettingCode.ENABLE_CONNECT_PROTOCOL, 1]]);
  const ev2 = c2.conn.receive(c2.peer.ff.settings([[SettingCode.ENABLE_CONNECT_PROTOCOL, 0]]));
  assert.equal(only(ev2, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection uses the peer's HEADER_TABLE_SIZE for its encoder", () => {
  const { conn, peer } = client({}, [[SettingCode.HEADER_TABLE_SIZE, 0]]);
  conn.sendHeaders(1, GET, { endStream: true });
  conn.sendHeaders(3, GET, { endStream: true });
  const frames = peer.frames(conn.dataToSend());
  // With no dynamic table the second block is as long as the first (nothing indexed).
  const [a, b] = frames.map((f) => (f as { fragment: Uint8Array }).fragment.length);
  assert.ok(b >= a - 1, `${a} vs ${b}`);
});

Deno.test("H2Connection updateSettings rejects values the role may not send", () => {
  const { conn } = server();
  assert.throws(() => conn.updateSettings({ enablePush: true }), UsageError);
  assert.throws(() => conn.updateSettings({ maxFrameSize: 100 }), UsageError);
  assert.throws(() => conn.updateSettings({ initialWindowSize: 2 ** 31 }), UsageError);
  const c = client().conn;
  assert.throws(() => c.updateSettings({ enableConnectProtocol: true }), UsageError);
});

Deno.test("H2Connection extended CONNECT needs ENABLE_CONNECT_PROTOCOL", () => {
  const ws = [
    { name: ":method", value: "CONNECT" },
    { name: ":protocol", value: "websocket" },
    { name: ":scheme", value: "https" },
    { name: ":authority", value: "example.com" },
    { name: ":path", value: "/chat" },
  ];
  const plain = client();
  assert.throws(() => plain.conn.sendHeaders(1, ws), UsageError);
  const { conn } = client({}, [[SettingCode.ENABLE_CONNECT_PROTOCOL, 1]]);
  conn.sendHeaders(1, ws);
  // Server side: accepted only when enabled.
  const off = server();
  assert.equal(
    only(off.conn.receive(off.peer.headers(1, ws)), "stream_reset").errorCode,
    ErrorCode.PROTOCOL_ERROR,
  );
  const on = server({ enableConnectProtocol: true });
  assert.deepEqual(types(on.conn.receive(on.peer.headers(1, ws))), ["request_received"]);
});
