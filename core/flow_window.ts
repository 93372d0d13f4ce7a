/**
 * Flow-control windows (RFC 9113 §5.2, §6.9) and the policy that decides when
 * consumed data is returned to the peer with WINDOW_UPDATE.
 *
 * @module
 */

import { FlowControlError } from "./errors.ts";

/** The largest legal flow-control window, 2^31-1 octets (RFC 9113 §6.9.1). */
export const MAX_WINDOW_SIZE = 0x7fff_ffff;

/** The initial window of every stream and of the connection, 65,535 octets (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW_SIZE = 65_535;

/**
 * An outbound flow-control window: how many octets we may still send.
 *
 * It can go negative when the peer lowers SETTINGS_INITIAL_WINDOW_SIZE while
 * data is in flight (RFC 9113 §6.9.2); sending then waits until WINDOW_UPDATEs
 * bring it back above zero. Growing it past 2^31-1 is a FLOW_CONTROL_ERROR.
 */
export class FlowWindow {
  /** Octets that may be sent now; may be negative. */
  size: number;

  /**
   * Creates a window.
   *
   * @param size The starting window.
   */
  constructor(size: number = DEFAULT_WINDOW_SIZE) {
    this.size = size;
  }

  /**
   * Applies a WINDOW_UPDATE or an INITIAL_WINDOW_SIZE delta.
   *
   * @param delta Octets to add (negative for a lowered initial size).
   * @param streamId The stream (0 for the connection), for the error's scope.
   * @throws {FlowControlError} When the window would exceed 2^31-1 (§6.9.1).
   */
  expand(delta: number, streamId: number): void {
    const next = this.size + delta;
    if (next > MAX_WINDOW_SIZE) {
      throw new FlowControlError(
        `Cannot grow the flow-control window: ${next} exceeds 2^31-1 on stream ${streamId}`,
        { scope: streamId === 0 ? "connection" : "stream", streamId },
      );
    }
    this.size = next;
  }
}

/**
 * An inbound flow-control window plus the policy for returning capacity.
 *
 * `receive` charges a flow-controlled frame against the window (rejecting
 * anything the peer was not allowed to send); `consume` records that the
 * application processed octets and returns the WINDOW_UPDATE increment to send
 * now, or 0 to keep batching. Capacity is returned only once the application
 * consumes data, so a slow reader applies backpressure instead of buffering
 * without bound.
 *
 * The batching rule is hyper-h2's and nghttp2's: send an update when at least
 * half the target window is waiting to be returned, or when the window is
 * exhausted and a modest amount (min 1 KiB, ¼ window) is waiting, so a peer
 * is never stalled for want of a small update.
 */
export class InboundWindow {
  /** Octets the peer may still send; never negative except after our own SETTINGS shrink it. */
  size: number;
  /** The window we aim to keep open (our INITIAL_WINDOW_SIZE or the connection target). */
  target: number;
  /** Octets consumed by the application but not yet returned with WINDOW_UPDATE. */
  pending = 0;

  /**
   * Creates a window.
   *
   * @param size The starting window.
   * @param target The window to maintain; defaults to `size`.
   */
  constructor(size: number = DEFAULT_WINDOW_SIZE, target: number = size) {
    this.size = size;
    this.target = target;
  }

  /**
   * Charges `length` received flow-controlled octets (DATA payload incl. padding).
   *
   * @param length The frame's flow-controlled length.
   * @param streamId The stream (0 for the connection), for the error's scope.
   * @throws {FlowControlError} When the peer exceeded the window (§6.9.1).
   */
  receive(length: number, streamId: number): void {
    if (length > this.size) {
      throw new FlowControlError(
        `Cannot accept ${length} octets of DATA: the flow-control window of stream ${streamId} is ${this.size}`,
        { scope: streamId === 0 ? "connection" : "stream", streamId },
      );
    }
    this.size -= length;
  }

  /**
   * Records that the application consumed `length` octets.
   *
   * @param length Octets processed.
   * @returns The WINDOW_UPDATE increment to send now, or 0 to keep batching.
   */
  consume(length: number): number {
    this.pending += length;
    const pending = this.pending;
    if (pending === 0) return 0;
    const target = this.target;
    if (
      pending >= target >>> 1 ||
      (this.size <= 0 && pending >= Math.min(1024, target >>> 2))
    ) {
      return this.flush();
    }
    return 0;
  }

  /**
   * Returns everything pending at once (for explicit flushes), capped so the window never exceeds
   * 2^31-1.
   *
   * @returns The increment to send, or 0 when nothing is pending.
   */
  flush(): number {
    let inc = this.pending;
    if (this.size + inc > MAX_WINDOW_SIZE) inc = MAX_WINDOW_SIZE - this.size;
    if (inc <= 0) {
      this.pending = 0;
      return 0;
    }
    this.pending = 0;
    this.size += inc;
    return inc;
  }

  /**
   * Opens the window by `increment` beyond what was consumed (a manual WINDOW_UPDATE).
   *
   * @param increment Octets to add.
   * @param streamId For the error message.
   * @throws {RangeError} When the result would exceed 2^31-1.
   */
  grow(increment: number, streamId: number): void {
    if (this.size + this.pending + increment > MAX_WINDOW_SIZE) {
      throw new RangeError(
        `Cannot grow the inbound window of stream ${streamId} by ${increment}: it would exceed 2^31-1`,
      );
    }
    this.size += increment;
    this.target = Math.max(this.target, this.size);
  }
}
