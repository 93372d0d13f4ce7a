import assert from "node:assert/strict";
import { FlowControlError, ProtocolError } from "../../core/errors.ts";
import {
  applySetting,
  DEFAULT_SETTINGS,
  LocalSettings,
  SettingCode,
  settingValue,
  validateSetting,
} from "../../core/settings.ts";

Deno.test("validateSetting enforces RFC 9113 §6.5.2 ranges", () => {
  validateSetting(SettingCode.ENABLE_PUSH, 1);
  validateSetting(SettingCode.MAX_FRAME_SIZE, 16_777_215);
  validateSetting(0x99, 0xffff_ffff); // unknown ids are ignored
  assert.throws(() => validateSetting(SettingCode.ENABLE_PUSH, 2), ProtocolError);
  assert.throws(() => validateSetting(SettingCode.INITIAL_WINDOW_SIZE, 2 ** 31), FlowControlError);
  assert.throws(() => validateSetting(SettingCode.MAX_FRAME_SIZE, 16_383), ProtocolError);
  assert.throws(() => validateSetting(SettingCode.ENABLE_CONNECT_PROTOCOL, 3), ProtocolError);
});

Deno.test("applySetting maps wire values and keeps objects when unchanged", () => {
  const s = applySetting(DEFAULT_SETTINGS, SettingCode.ENABLE_PUSH, 0);
  assert.equal(s.enablePush, false);
  assert.equal(applySetting(s, SettingCode.ENABLE_PUSH, 0), s);
  assert.equal(applySetting(s, 0x77, 1), s);
  assert.equal(settingValue(s, SettingCode.MAX_CONCURRENT_STREAMS), 0xffff_ffff);
  assert.equal(settingValue(s, 0x77), undefined);
});

Deno.test("LocalSettings applies frames in order as ACKs arrive", () => {
  const l = new LocalSettings();
  l.push([[SettingCode.INITIAL_WINDOW_SIZE, 1000]]);
  l.push([[SettingCode.INITIAL_WINDOW_SIZE, 2000], [SettingCode.MAX_FRAME_SIZE, 20_000]]);
  assert.equal(l.pendingCount, 2);
  assert.equal(l.current.initialWindowSize, 65_535);
  assert.equal(l.effective.initialWindowSize, 2000);
  assert.deepEqual(l.acknowledge(), [{
    id: SettingCode.INITIAL_WINDOW_SIZE,
    oldValue: 65_535,
    newValue: 1000,
  }]);
  assert.equal(l.current.initialWindowSize, 1000);
  assert.equal(l.acknowledge()?.length, 2);
  assert.equal(l.current.maxFrameSize, 20_000);
  assert.equal(l.acknowledge(), undefined);
});
