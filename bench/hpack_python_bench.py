"""python-hpack side of bench/hpack_compare.ts.

stdin: {"iterations": n, "connections": [[[[name_hex, value_hex], ...], ...], ...],
        "wires": [[hex, ...], ...]} (the octets every implementation decodes).
stdout: {"fields", "encoded_bytes", "encode_s", "decode_s"} (seconds per pass
over the corpus). Run with /usr/bin/python3 (Debian's python3-hpack).
"""
import json
import sys
import time

from hpack import Decoder, Encoder


def main():
    doc = json.load(sys.stdin)
    conns = [[[(bytes.fromhex(n), bytes.fromhex(v)) for n, v in block] for block in c]
             for c in doc["connections"]]
    wires = [[bytes.fromhex(w) for w in c] for c in doc["wires"]]
    iters = doc["iterations"]
    fields = sum(len(b) for c in conns for b in c)
    t0 = time.perf_counter()
    for _ in range(iters):
        encoded = 0
        for c in conns:
            enc = Encoder()
            for block in c:
                encoded += len(enc.encode(block, huffman=True))
    enc_s = (time.perf_counter() - t0) / iters
    t0 = time.perf_counter()
    for _ in range(iters):
        decoded = 0
        for c in wires:
            dec = Decoder()
            for w in c:
                decoded += len(dec.decode(w, raw=True))
    dec_s = (time.perf_counter() - t0) / iters
    assert decoded == fields
    json.dump({"fields": fields, "encoded_bytes": encoded, "encode_s": enc_s, "decode_s": dec_s},
              sys.stdout)


main()
