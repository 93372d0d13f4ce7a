/**
 * HTTP/2 SETTINGS (RFC 9113 §6.5): the values, their defaults and limits, and
 * the bookkeeping that applies our own changes only once the peer acknowledges
 * them (§6.5.3).
 *
 * @module
 */

import { FlowControlError, ProtocolError } from "./errors.ts";
import { MAX_WINDOW_SIZE } from "./flow_window.ts";

/** Setting identifiers (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1). */
export const SettingCode = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
} as const;

/** The smallest and the default SETTINGS_MAX_FRAME_SIZE, 2^14 (RFC 9113 §6.5.2). */
export const MIN_MAX_FRAME_SIZE = 16_384;
/** The largest legal SETTINGS_MAX_FRAME_SIZE, 2^24-1 (RFC 9113 §6.5.2). */
export const MAX_MAX_FRAME_SIZE = 16_777_215;

/**
 * A complete set of SETTINGS values for one direction.
 *
 * "Unlimited" values (MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE before
 * any SETTINGS say otherwise) are `Infinity`.
 */
export interface Settings {
  /** SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table the sender's decoder allows. */
  readonly headerTableSize: number;
  /** SETTINGS_ENABLE_PUSH: whether the sender accepts PUSH_PROMISE. */
  readonly enablePush: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams the sender lets its peer open. */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: the sender's initial stream receive window. */
  readonly initialWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE: the largest frame payload the sender accepts. */
  readonly maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: advisory cap on a decoded field section. */
  readonly maxHeaderListSize: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): extended CONNECT with `:protocol`. */
  readonly enableConnectProtocol: boolean;
  /** SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1). */
  readonly noRfc7540Priorities: boolean;
}

/** The values every endpoint starts with before any SETTINGS frame (RFC 9113 §6.5.2). */
export const DEFAULT_SETTINGS: Settings = Object.freeze({
  headerTableSize: 4096,
  enablePush: true,
  maxConcurrentStreams: Infinity,
  initialWindowSize: 65_535,
  maxFrameSize: MIN_MAX_FRAME_SIZE,
  maxHeaderListSize: Infinity,
  enableConnectProtocol: false,
  noRfc7540Priorities: false,
});

/** One setting that changed, as reported by the settings events. */
export interface ChangedSetting {
  /** The setting identifier ({@link SettingCode} or an unknown value). */
  readonly id: number;
  /** The value before, or `undefined` for an unknown identifier seen for the first time. */
  readonly oldValue: number | undefined;
  /** The value now in effect. */
  readonly newValue: number;
}

const keyById: Record<number, keyof Settings> = {
  1: "headerTableSize",
  2: "enablePush",
  3: "maxConcurrentStreams",
  4: "initialWindowSize",
  5: "maxFrameSize",
  6: "maxHeaderListSize",
  8: "enableConnectProtocol",
  9: "noRfc7540Priorities",
};

/**
 * Returns the property of {@link Settings} for a setting id, or `undefined` for an id this
 * library does not know (which RFC 9113 §6.5.2 says to ignore).
 */
export function settingKey(id: number): keyof Settings | undefined {
  return keyById[id];
}

/** Returns a setting's wire value from a {@link Settings} (booleans as 0/1, Infinity as 2^32-1). */
export function settingValue(settings: Settings, id: number): number | undefined {
  const key = keyById[id];
  if (key === undefined) return undefined;
  const v = settings[key];
  if (typeof v === "boolean") return v ? 1 : 0;
  return v === Infinity ? 0xffff_ffff : v;
}

/**
 * Checks one received setting value against RFC 9113 §6.5.2 and RFC 8441 §3.
 *
 * @param id The setting identifier.
 * @param value The 32-bit unsigned value.
 * @throws {ProtocolError} ENABLE_PUSH, MAX_FRAME_SIZE or ENABLE_CONNECT_PROTOCOL out of range.
 * @throws {FlowControlError} INITIAL_WINDOW_SIZE above 2^31-1.
 */
export function validateSetting(id: number, value: number): void {
  switch (id) {
    case SettingCode.ENABLE_PUSH:
    case SettingCode.ENABLE_CONNECT_PROTOCOL:
    case SettingCode.NO_RFC7540_PRIORITIES:
      if (value > 1) {
        throw new ProtocolError(
          `Cannot accept setting 0x${id.toString(16)}: value ${value} is not 0 or 1`,
        );
      }
      return;
    case SettingCode.INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW_SIZE) {
        throw new FlowControlError(
          `Cannot accept SETTINGS_INITIAL_WINDOW_SIZE: ${value} exceeds 2^31-1`,
        );
      }
      return;
    case SettingCode.MAX_FRAME_SIZE:
      if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
        throw new ProtocolError(`Cannot accept SETTINGS_MAX_FRAME_SIZE: ${value} is out of range`);
      }
      return;
  }
}

/**
 * Returns `settings` with one wire value applied (ids this library does not know are ignored).
 *
 * @param settings The current values.
 * @param id The setting identifier.
 * @param value The validated value.
 * @returns A new frozen object, or `settings` itself when nothing changed.
 */
export function applySetting(settings: Settings, id: number, value: number): Settings {
  const key = keyById[id];
  if (key === undefined) return settings;
  const v: number | boolean = typeof DEFAULT_SETTINGS[key] === "boolean" ? value === 1 : value;
  if (settings[key] === v) return settings;
  return Object.freeze({ ...settings, [key]: v });
}

/**
 * Our own settings: the values in force plus the changes sent but not yet
 * acknowledged, applied in order as SETTINGS ACKs arrive (RFC 9113 §6.5.3).
 *
 * A value in flight is neither old nor new for the peer, so limits that guard
 * us (window sizes, frame size, table size) take effect only on ACK; until
 * then the older, looser value governs what the peer may send.
 */
export class LocalSettings {
  /** The acknowledged values, in force. */
  current: Settings;
  readonly #pending: (ReadonlyArray<readonly [number, number]>)[] = [];

  /**
   * Creates the tracker.
   *
   * @param initial The values in force before any ACK (the RFC defaults).
   */
  constructor(initial: Settings = DEFAULT_SETTINGS) {
    this.current = initial;
  }

  /** Number of SETTINGS frames sent and not yet acknowledged. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** The values once every pending change is acknowledged. */
  get effective(): Settings {
    let s = this.current;
    for (const entries of this.#pending) for (const [id, v] of entries) s = applySetting(s, id, v);
    return s;
  }

  /** Records a SETTINGS frame we sent. */
  push(entries: ReadonlyArray<readonly [number, number]>): void {
    this.#pending.push(entries);
  }

  /**
   * Applies the oldest pending SETTINGS frame on its ACK.
   *
   * @returns The settings that changed, or `undefined` when no SETTINGS frame was pending.
   */
  acknowledge(): ChangedSetting[] | undefined {
    const entries = this.#pending.shift();
    if (entries === undefined) return undefined;
    const changed: ChangedSetting[] = [];
    for (const [id, value] of entries) {
      const oldValue = settingValue(this.current, id);
      this.current = applySetting(this.current, id, value);
      changed.push({ id, oldValue, newValue: value });
    }
    return changed;
  }
}
