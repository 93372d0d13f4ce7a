"""A hyper-h2 (python3-h2) peer for h2kit's interop tests.

Speaks HTTP/2 over stdin/stdout (raw bytes, like a socket) and reports what it
saw as JSON lines on stderr. Run with Debian's interpreter:

    /usr/bin/python3 tests/core/python_h2_peer.py server|client
"""

import json
import os
import sys

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    InformationalResponseReceived,
    PingAckReceived,
    PushedStreamReceived,
    RemoteSettingsChanged,
    RequestReceived,
    ResponseReceived,
    SettingsAcknowledged,
    StreamEnded,
    StreamReset,
    TrailersReceived,
    WindowUpdated,
)
from h2.settings import SettingCodes


def log(**fields):
    sys.stderr.write(json.dumps(fields) + "\n")
    sys.stderr.flush()


class Peer:
    def __init__(self, client_side):
        self.conn = H2Connection(H2Configuration(client_side=client_side, header_encoding="utf-8"))
        self.pending = {}  # stream id -> [bytearray, end_stream, trailers]

    def write(self):
        data = self.conn.data_to_send()
        if data:
            os.write(1, data)

    def queue(self, sid, body, end=True, trailers=None):
        self.pending[sid] = [bytearray(body), end, trailers]
        self.pump()

    def pump(self):
        for sid in list(self.pending):
            buf, end, trailers = self.pending[sid]
            while True:
                try:
                    room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
                except Exception:
                    del self.pending[sid]
                    break
                if not buf:
                    del self.pending[sid]
                    if trailers:
                        self.conn.send_headers(sid, trailers, end_stream=True)
                    elif end:
                        self.conn.end_stream(sid)
                    break
                if room <= 0:
                    break
                chunk = bytes(buf[:room])
                del buf[:room]
                self.conn.send_data(sid, chunk)


def serve():
    p = Peer(False)
    conn = p.conn
    conn.initiate_connection()
    p.write()
    requests = {}
    bodies = {}
    while True:
        data = os.read(0, 65536)
        if not data:
            return
        for ev in conn.receive_data(data):
            if isinstance(ev, RequestReceived):
                requests[ev.stream_id] = dict(ev.headers)
                bodies[ev.stream_id] = b""
                log(event="request", stream=ev.stream_id, path=requests[ev.stream_id][":path"])
            elif isinstance(ev, DataReceived):
                bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, TrailersReceived):
                log(event="trailers", stream=ev.stream_id, headers=dict(ev.headers))
            elif isinstance(ev, StreamEnded):
                respond(p, ev.stream_id, requests[ev.stream_id], bodies[ev.stream_id])
            elif isinstance(ev, StreamReset):
                log(event="reset", stream=ev.stream_id, code=int(ev.error_code))
            elif isinstance(ev, RemoteSettingsChanged):
                log(event="settings", changed={int(k): v.new_value for k, v in ev.changed_settings.items()})
            elif isinstance(ev, WindowUpdated):
                p.pump()
            elif isinstance(ev, ConnectionTerminated):
                log(event="goaway", code=int(ev.error_code), last=ev.last_stream_id)
                p.write()
                return
        p.write()


def respond(p, sid, req, body):
    conn = p.conn
    path = req[":path"]
    if path == "/hello":
        conn.send_headers(sid, [(":status", "200"), ("content-type", "text/plain")])
        p.queue(sid, b"hello from python")
    elif path == "/echo":
        conn.send_headers(sid, [(":status", "200"), ("content-length", str(len(body)))])
        p.queue(sid, body, trailers=[("x-length", str(len(body)))])
    elif path == "/push":
        promised = conn.get_next_available_stream_id()
        conn.push_stream(sid, promised, [(":method", "GET"), (":scheme", "https"), (":authority", req.get(":authority", "x")), (":path", "/pushed.css")])
        conn.send_headers(promised, [(":status", "200")])
        p.queue(promised, b"body{}")
        conn.send_headers(sid, [(":status", "200")], end_stream=True)
    elif path == "/reset":
        conn.reset_stream(sid, error_code=ErrorCodes.CANCEL)
    elif path == "/settings":
        conn.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 1000, SettingCodes.MAX_CONCURRENT_STREAMS: 50})
        conn.send_headers(sid, [(":status", "204")], end_stream=True)
    elif path == "/info":
        conn.send_headers(sid, [(":status", "103"), ("link", "</a>; rel=preload")])
        conn.send_headers(sid, [(":status", "200")], end_stream=True)
    else:
        conn.send_headers(sid, [(":status", "404")], end_stream=True)


def client():
    p = Peer(True)
    conn = p.conn
    conn.initiate_connection()
    conn.ping(b"12345678")
    auth = [(":scheme", "https"), (":authority", "h2kit.test")]
    conn.send_headers(1, [(":method", "GET"), (":path", "/hello")] + auth, end_stream=True)
    conn.send_headers(3, [(":method", "POST"), (":path", "/echo")] + auth)
    p.queue(3, bytes(range(256)) * 300, trailers=[("x-sum", "ok")])
    conn.send_headers(5, [(":method", "GET"), (":path", "/push")] + auth, end_stream=True)
    conn.send_headers(7, [(":method", "GET"), (":path", "/slow")] + auth, end_stream=True)
    conn.reset_stream(7, error_code=ErrorCodes.CANCEL)
    p.write()
    bodies = {}
    ended = set()
    seen = {"ping_ack": False, "settings_ack": 0}
    while True:
        data = os.read(0, 65536)
        if not data:
            return
        for ev in conn.receive_data(data):
            if isinstance(ev, ResponseReceived):
                log(event="response", stream=ev.stream_id, headers=dict(ev.headers))
            elif isinstance(ev, InformationalResponseReceived):
                log(event="informational", stream=ev.stream_id)
            elif isinstance(ev, PushedStreamReceived):
                log(event="pushed", stream=ev.pushed_stream_id, parent=ev.parent_stream_id, path=dict(ev.headers)[":path"])
            elif isinstance(ev, DataReceived):
                bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, TrailersReceived):
                log(event="trailers", stream=ev.stream_id, headers=dict(ev.headers))
            elif isinstance(ev, StreamEnded):
                ended.add(ev.stream_id)
                log(event="ended", stream=ev.stream_id, body=bodies.get(ev.stream_id, b"").hex()[:64], length=len(bodies.get(ev.stream_id, b"")))
            elif isinstance(ev, StreamReset):
                log(event="reset", stream=ev.stream_id, code=int(ev.error_code))
            elif isinstance(ev, PingAckReceived):
                seen["ping_ack"] = True
                log(event="ping_ack", data=ev.ping_data.decode())
            elif isinstance(ev, SettingsAcknowledged):
                seen["settings_ack"] += 1
            elif isinstance(ev, RemoteSettingsChanged):
                log(event="settings", changed={int(k): v.new_value for k, v in ev.changed_settings.items()})
            elif isinstance(ev, WindowUpdated):
                p.pump()
            elif isinstance(ev, ConnectionTerminated):
                log(event="goaway", code=int(ev.error_code), last=ev.last_stream_id)
                return
        if {1, 3, 5, 2}.issubset(ended) and seen["ping_ack"] and seen["settings_ack"] > 0:
            conn.close_connection()
            p.write()
            log(event="done")
            return
        p.write()


if __name__ == "__main__":
    try:
        serve() if sys.argv[1] == "server" else client()
    except Exception as e:  # report, do not hang the test
        log(event="error", error=repr(e))
        sys.exit(1)
