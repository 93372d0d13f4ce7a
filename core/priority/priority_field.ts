/**
 * The `priority` field value: parsing and serializing the RFC 9218 parameters
 * carried by the `priority` header field and by PRIORITY_UPDATE frames.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { parseSfDictionary, SfKind } from "./_sf_dictionary.ts";
import { DEFAULT_PRIORITY, isValidUrgency, type PriorityParams } from "./priority_params.ts";

/**
 * Parses a `priority` field value (a Structured Field Dictionary, RFC 9218 §5,
 * RFC 9651 §3.2) into priority parameters.
 *
 * Parameters that are absent, unknown, out of range (`u=9`) or of the wrong
 * type (`u=1.5`, `i=1`) are ignored as RFC 9218 §4 requires: an ignored
 * parameter keeps its value from `base`. A request's field uses the defaults
 * as base (RFC 9218 §4); a response's field merges over the client's view
 * (RFC 9218 §8). When the field is not a valid Dictionary at all, the result is
 * `undefined`: a request field is then treated as absent, and a PRIORITY_UPDATE
 * frame may be ignored or treated as a connection error (RFC 9218 §7).
 *
 * @example Parse a request's priority
 * ```ts
 * import { parsePriorityField } from "./priority_field.ts";
 * const p = parsePriorityField("u=5, i");
 * if (p?.urgency !== 5 || !p.incremental) throw new Error("u=5, i");
 * // An out-of-range urgency is ignored (default 3); i=?0 is false.
 * const q = parsePriorityField("u=9, i=?0");
 * if (q?.urgency !== 3 || q.incremental) throw new Error("u=9, i=?0");
 * if (parsePriorityField("u=, i") !== undefined) throw new Error("not a dictionary");
 * ```
 *
 * @param value The field value; several field lines are joined with ", ".
 * @param base Values for parameters that are missing or ignored; defaults to `u=3`, not incremental.
 * @returns The parameters, or `undefined` when the value does not parse.
 */
export function parsePriorityField(
  value: string,
  base: PriorityParams = DEFAULT_PRIORITY,
): PriorityParams | undefined {
  let urgency = base.urgency;
  let incremental = base.incremental;
  // A later duplicate key replaces the earlier member (RFC 9651 §4.2.2), so an
  // invalid later `u` must undo an earlier valid one rather than be skipped.
  const ok = parseSfDictionary(value, (key, kind, v) => {
    if (key === "u") {
      urgency = kind === SfKind.INTEGER && isValidUrgency(v) ? v : base.urgency;
    } else if (key === "i") {
      incremental = kind === SfKind.BOOLEAN ? v === 1 : base.incremental;
    }
  });
  if (!ok) return undefined;
  if (urgency === base.urgency && incremental === base.incremental) return base;
  return { urgency, incremental };
}

/**
 * The priority a request asks for: its `priority` field parsed over the
 * defaults, or the defaults when the field is absent or invalid (RFC 9218 §4,
 * §5).
 *
 * @example
 * ```ts
 * import { priorityFromField } from "./priority_field.ts";
 * if (priorityFromField("u=1").urgency !== 1) throw new Error("u=1");
 * const d = priorityFromField("not a dictionary!"); // the defaults
 * if (d.urgency !== 3 || d.incremental) throw new Error("defaults");
 * ```
 *
 * @param value The field value, or `undefined` when the request has none.
 * @returns The effective parameters.
 */
export function priorityFromField(value: string | undefined): PriorityParams {
  if (value === undefined) return DEFAULT_PRIORITY;
  return parsePriorityField(value) ?? DEFAULT_PRIORITY;
}

/**
 * Serializes priority parameters as a `priority` field value (RFC 9218 §5),
 * leaving out parameters that equal their defaults (so the defaults serialize
 * to the empty string, which a caller should not send at all).
 *
 * @example
 * ```ts
 * import { serializePriorityField } from "./priority_field.ts";
 * if (serializePriorityField({ urgency: 0, incremental: true }) !== "u=0, i") throw new Error();
 * // The defaults need no field at all.
 * if (serializePriorityField({ urgency: 3, incremental: false }) !== "") throw new Error();
 * ```
 *
 * @param params The parameters.
 * @returns The field value.
 * @throws {UsageError} When the urgency is not an integer in 0..7.
 */
export function serializePriorityField(params: PriorityParams): string {
  if (!isValidUrgency(params.urgency)) {
    throw new UsageError(`Cannot serialize priority: urgency "${params.urgency}" is not 0..7`);
  }
  const u = params.urgency === DEFAULT_PRIORITY.urgency ? "" : `u=${params.urgency}`;
  if (!params.incremental) return u;
  return u === "" ? "i" : `${u}, i`;
}
