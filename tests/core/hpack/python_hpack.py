"""Differential-test peer: python-hpack (Debian python3-hpack) over JSON.

Reads one JSON document on stdin:
  {"mode": "encode" | "decode", "connections": [[block, ...], ...]}
where each block has an optional "table_size" (a SETTINGS_HEADER_TABLE_SIZE
change applied just before it) and either "headers" ([[name_hex, value_hex,
sensitive], ...], encode mode) or "wire" (hex, decode mode).
Writes {"connections": [[result, ...], ...]}: {"wire": hex, "sensitive":
[indices sent never-indexed]}, or
{"headers": [...]} in the same form, or {"error": message}.
Run it with /usr/bin/python3 (Debian's interpreter, which sees python3-hpack).
"""
import json
import sys

from hpack import Decoder, Encoder, HeaderTuple, NeverIndexedHeaderTuple


def encode(blocks):
    # python-hpack sends a sensitive field that has an exact table match as an
    # indexed field, so the result also says which fields went never-indexed
    # (by decoding the block again in python).
    enc = Encoder()
    check = Decoder(max_header_list_size=1 << 30)
    out = []
    for block in blocks:
        if block.get("table_size") is not None:
            enc.header_table_size = block["table_size"]
            check.max_allowed_table_size = block["table_size"]
        headers = [
            (NeverIndexedHeaderTuple if s else HeaderTuple)(bytes.fromhex(n), bytes.fromhex(v))
            for n, v, s in block["headers"]
        ]
        wire = enc.encode(headers, huffman=True)
        never = [i for i, h in enumerate(check.decode(wire, raw=True)) if not h.indexable]
        out.append({"wire": wire.hex(), "sensitive": never})
    return out


def decode(blocks):
    dec = Decoder(max_header_list_size=1 << 30)
    out = []
    for block in blocks:
        if block.get("table_size") is not None:
            dec.max_allowed_table_size = block["table_size"]
        try:
            headers = dec.decode(bytes.fromhex(block["wire"]), raw=True)
        except Exception as e:  # any failure is a result to compare
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
            break
        out.append({"headers": [[bytes(h[0]).hex(), bytes(h[1]).hex(), not h.indexable] for h in headers]})
    return out


def main():
    doc = json.load(sys.stdin)
    run = encode if doc["mode"] == "encode" else decode
    json.dump({"connections": [run(c) for c in doc["connections"]]}, sys.stdout)


if __name__ == "__main__":
    main()
