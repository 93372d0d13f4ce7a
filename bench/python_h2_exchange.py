"""The same in-memory exchange as bench/_exchange.ts, with python-h2.

Prints one JSON line: {"bodySize": N, "exchanges": N, "seconds": S}.
Run with Debian's interpreter: /usr/bin/python3 bench/python_h2_exchange.py BODY SECONDS
"""

import json
import sys
import time

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import DataReceived, RequestReceived, StreamEnded, WindowUpdated
from h2.settings import SettingCodes

REQUEST = [(":method", "GET"), (":scheme", "https"), (":authority", "bench.example"),
           (":path", "/resource"), ("user-agent", "h2kit-bench/1.0"), ("accept", "*/*")]
RESPONSE = [(":status", "200"), ("content-type", "application/octet-stream"), ("server", "h2kit")]


def main():
    body_size = int(sys.argv[1])
    seconds = float(sys.argv[2])
    batch = 50
    big = body_size > 16384
    client = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
    server = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
    for c in (client, server):
        c.local_settings = c.local_settings  # keep defaults
        c.initiate_connection()
        c.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 1000,
                           SettingCodes.INITIAL_WINDOW_SIZE: (1 << 20) if big else 65535})
        if big:
            c.increment_flow_control_window((1 << 26) - 65535)
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    body = b"a" * body_size
    pending_body = {}

    def pump():
        for sid in list(pending_body):
            data = pending_body[sid]
            while data:
                room = min(server.local_flow_control_window(sid), server.max_outbound_frame_size)
                if room <= 0:
                    break
                server.send_data(sid, data[:room])
                data = data[room:]
            if data:
                pending_body[sid] = data
            else:
                del pending_body[sid]
                server.end_stream(sid)

    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(batch):
            client.send_headers(client.get_next_available_stream_id(), REQUEST, end_stream=True)
        for ev in server.receive_data(client.data_to_send()):
            if isinstance(ev, RequestReceived):
                server.send_headers(ev.stream_id, RESPONSE)
                pending_body[ev.stream_id] = body
        pump()
        pending = batch
        while pending > 0:
            for ev in client.receive_data(server.data_to_send()):
                if isinstance(ev, DataReceived):
                    client.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, StreamEnded):
                    pending -= 1
            back = client.data_to_send()
            if back:
                for ev in server.receive_data(back):
                    pass
                pump()
        done += batch
    elapsed = time.perf_counter() - start
    print(json.dumps({"bodySize": body_size, "exchanges": done, "seconds": elapsed}))


if __name__ == "__main__":
    main()
