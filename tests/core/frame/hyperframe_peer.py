"""Differential peer for the frame codec: python-hyper's hyperframe.

Run with Debian's interpreter (/usr/bin/python3, which sees python3-hyperframe).

  hyperframe_peer.py parse   stdin: one hex-encoded frame per line
                             stdout: one JSON description per line
  hyperframe_peer.py build   stdin: one JSON description per line
                             stdout: one hex-encoded frame per line

A description is {"type", "stream", "flags": [sorted names], ...type fields},
the same shape the TypeScript side produces from its own frames, so the test
compares descriptions for equality.
"""

import json
import sys

from hyperframe.frame import (
    AltSvcFrame,
    ContinuationFrame,
    DataFrame,
    ExtensionFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)


def priority_of(f):
    return {"dependency": f.depends_on, "exclusive": bool(f.exclusive), "weight": f.stream_weight + 1}


def describe(f):
    d = {"stream": f.stream_id, "flags": sorted(f.flags)}
    if isinstance(f, DataFrame):
        d.update(type="DATA", data=f.data.hex(), pad=f.pad_length if "PADDED" in f.flags else None)
    elif isinstance(f, HeadersFrame):
        d.update(
            type="HEADERS",
            data=f.data.hex(),
            pad=f.pad_length if "PADDED" in f.flags else None,
            priority=priority_of(f) if "PRIORITY" in f.flags else None,
        )
    elif isinstance(f, PriorityFrame):
        d.update(type="PRIORITY", priority=priority_of(f))
    elif isinstance(f, RstStreamFrame):
        d.update(type="RST_STREAM", error=f.error_code)
    elif isinstance(f, SettingsFrame):
        d.update(type="SETTINGS", settings=[[int(k), v] for k, v in f.settings.items()])
    elif isinstance(f, PushPromiseFrame):
        d.update(
            type="PUSH_PROMISE",
            promised=f.promised_stream_id,
            data=f.data.hex(),
            pad=f.pad_length if "PADDED" in f.flags else None,
        )
    elif isinstance(f, PingFrame):
        d.update(type="PING", data=f.opaque_data.hex())
    elif isinstance(f, GoAwayFrame):
        d.update(type="GOAWAY", last=f.last_stream_id, error=f.error_code, debug=f.additional_data.hex())
    elif isinstance(f, WindowUpdateFrame):
        d.update(type="WINDOW_UPDATE", increment=f.window_increment)
    elif isinstance(f, ContinuationFrame):
        d.update(type="CONTINUATION", data=f.data.hex())
    elif isinstance(f, AltSvcFrame):
        d.update(type="ALTSVC", origin=f.origin.hex(), field=f.field.hex())
    elif isinstance(f, ExtensionFrame):
        d.update(type="EXTENSION", code=f.type, flagByte=f.flag_byte, body=f.body.hex())
        d["flags"] = []
    else:
        raise ValueError("unexpected frame %r" % (f,))
    return d


def parse(line):
    raw = bytes.fromhex(line)
    frame, length = Frame.parse_frame_header(memoryview(raw[:9]))
    if length != len(raw) - 9:
        raise ValueError("length field %d but %d payload bytes" % (length, len(raw) - 9))
    frame.parse_body(memoryview(raw[9:]))
    return describe(frame)


def set_priority(f, d):
    p = d.get("priority")
    if p is not None:
        f.depends_on = p["dependency"]
        f.exclusive = p["exclusive"]
        f.stream_weight = p["weight"] - 1


def build(d):
    t = d["type"]
    s = d["stream"]
    flags = set(d.get("flags", []))
    if t == "DATA":
        f = DataFrame(s, bytes.fromhex(d["data"]), pad_length=d["pad"] or 0)
    elif t == "HEADERS":
        f = HeadersFrame(s, bytes.fromhex(d["data"]), pad_length=d["pad"] or 0)
        set_priority(f, d)
    elif t == "PRIORITY":
        f = PriorityFrame(s)
        set_priority(f, d)
    elif t == "RST_STREAM":
        f = RstStreamFrame(s, d["error"])
    elif t == "SETTINGS":
        f = SettingsFrame(s, dict((k, v) for k, v in d["settings"]))
    elif t == "PUSH_PROMISE":
        f = PushPromiseFrame(s, d["promised"], bytes.fromhex(d["data"]), pad_length=d["pad"] or 0)
    elif t == "PING":
        f = PingFrame(s, bytes.fromhex(d["data"]))
    elif t == "GOAWAY":
        f = GoAwayFrame(s, d["last"], d["error"], bytes.fromhex(d["debug"]))
    elif t == "WINDOW_UPDATE":
        f = WindowUpdateFrame(s, d["increment"])
    elif t == "CONTINUATION":
        f = ContinuationFrame(s, bytes.fromhex(d["data"]))
    elif t == "ALTSVC":
        f = AltSvcFrame(s, bytes.fromhex(d["origin"]), bytes.fromhex(d["field"]))
    elif t == "EXTENSION":
        body = bytes.fromhex(d["body"])
        f = ExtensionFrame(d["code"], s, d["flagByte"], body)
        f.body_len = len(body)  # hyperframe 6 sets it only when parsing
        return f.serialize()
    else:
        raise ValueError("unknown type %r" % t)
    for flag in flags:
        f.flags.add(flag)
    return f.serialize()


def main():
    mode = sys.argv[1]
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        if mode == "parse":
            print(json.dumps(parse(line)))
        elif mode == "build":
            print(build(json.loads(line)).hex())
        else:
            raise SystemExit("usage: hyperframe_peer.py parse|build")


if __name__ == "__main__":
    main()
