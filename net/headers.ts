/**
 * Header fields as the net layer exchanges them: a list of
 * {@link HeaderField} (byte strings, duplicates and order preserved), built
 * from friendlier inputs.
 *
 * @module
 */

import type { HeaderField } from "../core/mod.ts";

export type { HeaderField };

/**
 * Header fields as callers may give them: a record, name/value pairs, or fields. Names are
 * lowercased (RFC 9113 §8.2.1 forbids uppercase).
 */
export type HeadersInput =
  | Readonly<Record<string, string>>
  | ReadonlyArray<readonly [string, string]>
  | ReadonlyArray<HeaderField>;

/**
 * Appends `input` to `out` as fields with lowercase names.
 *
 * @param input The caller's headers (or `undefined`).
 * @param out The list to append to.
 * @returns `out`.
 */
export function appendFields(input: HeadersInput | undefined, out: HeaderField[]): HeaderField[] {
  if (input === undefined) return out;
  if (Array.isArray(input)) {
    for (const item of input as ReadonlyArray<readonly [string, string] | HeaderField>) {
      if (Array.isArray(item)) {
        const [name, value] = item as readonly [string, string];
        out.push({ name: lower(name), value });
      } else {
        const f = item as HeaderField;
        out.push(
          f.sensitive ? { name: lower(f.name), value: f.value, sensitive: true } : {
            name: lower(f.name),
            value: f.value,
          },
        );
      }
    }
    return out;
  }
  for (const name in input as Record<string, string>) {
    out.push({ name: lower(name), value: (input as Record<string, string>)[name] });
  }
  return out;
}

/**
 * The first value of a field, by lowercase name.
 *
 * @param fields The fields.
 * @param name Lowercase field name.
 * @returns The value, or `undefined`.
 */
export function getHeader(fields: ReadonlyArray<HeaderField>, name: string): string | undefined {
  for (let i = 0; i < fields.length; i++) {
    if (fields[i].name === name) return fields[i].value;
  }
  return undefined;
}

function lower(name: string): string {
  // Fast path: most names are already lowercase.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}
