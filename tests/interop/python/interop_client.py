"""The gRPC interop client cases on Python grpcio, run against h2kit's server.

Flags: --server_host H, --server_port N, --use_tls, --ca FILE, --server_host_override NAME,
--test_case NAME|all|NAME,NAME. Prints "PASS <case>" or "FAIL <case>: <why>" per case and
exits 1 if any failed (grpc doc/interop-test-descriptions.md "Client"). Calls go through
channel.unary_unary & co. with the runtime-built messages of grpc_testing_pb.
"""

import argparse
import os
import queue
import socket
import ssl
import sys
import threading
import time

import grpc

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from grpc_testing_pb import M, TEST_SERVICE  # noqa: E402

CERTS = os.path.join(os.path.dirname(__file__), "..", "..", "_support", "certs")
CASES = [
    "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong",
    "empty_stream", "custom_metadata", "status_code_and_message", "special_status_message",
    "unimplemented_method", "unimplemented_service", "cancel_after_begin",
    "cancel_after_first_response", "timeout_on_sleeping_server", "client_compressed_unary",
    "server_compressed_unary",
]
SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def zeros(n):
    return M["Payload"](type=0, body=bytes(n))


class Stub:
    def __init__(self, channel, service="grpc.testing.TestService"):
        for name, (req, res, req_stream, res_stream) in TEST_SERVICE.items():
            make = {
                (False, False): channel.unary_unary,
                (False, True): channel.unary_stream,
                (True, False): channel.stream_unary,
                (True, True): channel.stream_stream,
            }[(req_stream, res_stream)]
            setattr(self, name, make(
                f"/{service}/{name}",
                request_serializer=M[req].SerializeToString,
                response_deserializer=M[res].FromString,
            ))


def expect_code(fn, code, message=None):
    try:
        fn()
    except grpc.RpcError as e:
        check(e.code() == code, f"expected {code}, got {e.code()}: {e.details()}")
        if message is not None:
            check(e.details() == message, f"expected message {message!r}, got {e.details()!r}")
        return
    raise Failure(f"expected {code}, call succeeded")


class Requests:
    """A request iterator fed from another thread; close() ends it."""

    def __init__(self):
        self.q = queue.Queue()

    def put(self, m):
        self.q.put(m)

    def close(self):
        self.q.put(None)

    def __iter__(self):
        return self

    def __next__(self):
        m = self.q.get()
        if m is None:
            raise StopIteration
        return m


def raw_first_byte(args, compressed):
    """Sends UnaryCall with python-h2 and returns the response's compressed-flag byte."""
    import h2.config
    import h2.connection
    import h2.events

    msg = M["SimpleRequest"](
        response_size=314159, response_compressed=M["BoolValue"](value=compressed)
    ).SerializeToString()
    frame = bytes([0]) + len(msg).to_bytes(4, "big") + msg
    sock = socket.create_connection((args.server_host, args.server_port), timeout=10)
    if args.use_tls:
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.set_alpn_protocols(["h2"])
        name = args.server_host_override or (
            "localhost" if args.server_host == "127.0.0.1" else args.server_host)
        sock = ctx.wrap_socket(sock, server_hostname=name)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, [
        (":method", "POST"), (":scheme", "https" if args.use_tls else "http"),
        (":authority", args.server_host), (":path", "/grpc.testing.TestService/UnaryCall"),
        ("content-type", "application/grpc"), ("te", "trailers"),
        ("grpc-accept-encoding", "identity,gzip"),
    ])
    conn.send_data(1, frame, end_stream=True)
    sock.sendall(conn.data_to_send())
    first = None
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    if first is None and ev.data:
                        first = ev.data[0]
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if isinstance(ev, h2.events.StreamEnded) or isinstance(ev, h2.events.StreamReset):
                    return first
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()
    return first


def cases(stub, unimplemented, args):
    def empty_unary():
        res = stub.EmptyCall(M["Empty"]())
        check(res.ByteSize() == 0, "EmptyCall returned fields")

    def large_unary():
        res = stub.UnaryCall(M["SimpleRequest"](response_size=314159, payload=zeros(271828)))
        check(len(res.payload.body) == 314159, f"payload {len(res.payload.body)}")

    def client_streaming():
        res = stub.StreamingInputCall(
            iter([M["StreamingInputCallRequest"](payload=zeros(n)) for n in (27182, 8, 1828, 45904)]))
        check(res.aggregated_payload_size == 74922, f"aggregated {res.aggregated_payload_size}")

    def server_streaming():
        sizes = [31415, 9, 2653, 58979]
        req = M["StreamingOutputCallRequest"]()
        for s in sizes:
            req.response_parameters.add(size=s)
        got = [len(r.payload.body) for r in stub.StreamingOutputCall(req)]
        check(got == sizes, f"sizes {got}")

    def ping_pong():
        requests = Requests()
        call = stub.FullDuplexCall(requests)
        for out, inp in ((31415, 27182), (9, 8), (2653, 1828), (58979, 45904)):
            req = M["StreamingOutputCallRequest"](payload=zeros(inp))
            req.response_parameters.add(size=out)
            requests.put(req)
            res = next(call)
            check(len(res.payload.body) == out, f"got {len(res.payload.body)}, want {out}")
        requests.close()
        check(next(call, None) is None, "stream did not end")

    def empty_stream():
        check(list(stub.FullDuplexCall(iter([]))) == [], "expected no responses")

    def custom_metadata():
        initial = "test_initial_metadata_value"
        trailing = b"\xab\xab\xab"
        md = (("x-grpc-test-echo-initial", initial), ("x-grpc-test-echo-trailing-bin", trailing))

        def verify(kind, call):
            h = dict(call.initial_metadata())
            t = dict(call.trailing_metadata())
            check(h.get("x-grpc-test-echo-initial") == initial, f"{kind}: initial")
            check(t.get("x-grpc-test-echo-trailing-bin") == trailing, f"{kind}: trailing")

        _, call = stub.UnaryCall.with_call(
            M["SimpleRequest"](response_size=314159, payload=zeros(271828)), metadata=md)
        verify("unary", call)
        req = M["StreamingOutputCallRequest"](payload=zeros(271828))
        req.response_parameters.add(size=314159)
        call = stub.FullDuplexCall(iter([req]), metadata=md)
        list(call)
        verify("duplex", call)

    def status_code_and_message():
        status = M["EchoStatus"](code=2, message="test status message")
        expect_code(lambda: stub.UnaryCall(M["SimpleRequest"](response_status=status)),
                    grpc.StatusCode.UNKNOWN, status.message)
        expect_code(
            lambda: list(stub.FullDuplexCall(
                iter([M["StreamingOutputCallRequest"](response_status=status)]))),
            grpc.StatusCode.UNKNOWN, status.message)

    def special_status_message():
        status = M["EchoStatus"](code=2, message=SPECIAL)
        expect_code(lambda: stub.UnaryCall(M["SimpleRequest"](response_status=status)),
                    grpc.StatusCode.UNKNOWN, SPECIAL)

    def unimplemented_method():
        expect_code(lambda: stub.UnimplementedCall(M["Empty"]()), grpc.StatusCode.UNIMPLEMENTED)

    def unimplemented_service():
        expect_code(lambda: unimplemented.UnimplementedCall(M["Empty"]()),
                    grpc.StatusCode.UNIMPLEMENTED)

    def cancel_after_begin():
        requests = Requests()
        future = stub.StreamingInputCall.future(requests)
        time.sleep(0.01)
        future.cancel()
        requests.close()
        check(future.cancelled(), "call not cancelled")
        try:
            future.result(timeout=5)
            raise Failure("cancelled call completed")
        except grpc.FutureCancelledError:
            pass

    def cancel_after_first_response():
        requests = Requests()
        call = stub.FullDuplexCall(requests)
        req = M["StreamingOutputCallRequest"](payload=zeros(27182))
        req.response_parameters.add(size=31415)
        requests.put(req)
        res = next(call)
        check(len(res.payload.body) == 31415, "bad first response")
        call.cancel()
        requests.close()
        check(call.code() == grpc.StatusCode.CANCELLED, f"status {call.code()}")

    def timeout_on_sleeping_server():
        requests = Requests()
        requests.put(M["StreamingOutputCallRequest"](payload=zeros(27182)))
        try:
            expect_code(lambda: list(stub.FullDuplexCall(requests, timeout=0.001)),
                        grpc.StatusCode.DEADLINE_EXCEEDED)
        finally:
            requests.close()

    def client_compressed_unary():
        req = M["SimpleRequest"](response_size=314159, payload=zeros(271828),
                                 expect_compressed=M["BoolValue"](value=True))
        expect_code(lambda: stub.UnaryCall(req), grpc.StatusCode.INVALID_ARGUMENT)
        a = stub.UnaryCall(req, compression=grpc.Compression.Gzip)
        check(len(a.payload.body) == 314159, "compressed call: bad payload")
        req.expect_compressed.value = False
        b = stub.UnaryCall(req)
        check(len(b.payload.body) == 314159, "uncompressed call: bad payload")

    def server_compressed_unary():
        for compressed in (True, False):
            res = stub.UnaryCall(M["SimpleRequest"](
                response_size=314159, payload=zeros(271828),
                response_compressed=M["BoolValue"](value=compressed)))
            check(len(res.payload.body) == 314159, "bad payload")
            # grpcio hides the per-message flag: read it with python-h2 on a raw connection.
            flag = raw_first_byte(args, compressed)
            check(flag == (1 if compressed else 0), f"compressed={compressed} but flag {flag}")

    return {name: fn for name, fn in locals().items() if name in CASES}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, default=50051)
    parser.add_argument("--use_tls", nargs="?", const="true", default="false")
    parser.add_argument("--ca", default=os.path.join(CERTS, "ca.crt"))
    parser.add_argument("--server_host_override", default=None)
    parser.add_argument("--test_case", default="all")
    args = parser.parse_args()
    args.use_tls = args.use_tls != "false"
    target = f"{args.server_host}:{args.server_port}"
    if args.use_tls:
        with open(args.ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(f.read())
        options = []
        if args.server_host_override:
            options.append(("grpc.ssl_target_name_override", args.server_host_override))
        elif args.server_host == "127.0.0.1":
            options.append(("grpc.ssl_target_name_override", "localhost"))
        channel = grpc.secure_channel(target, creds, options)
    else:
        channel = grpc.insecure_channel(target)
    stub = Stub(channel)
    unimplemented = Stub(channel, "grpc.testing.UnimplementedService")
    table = cases(stub, unimplemented, args)
    names = CASES if args.test_case == "all" else args.test_case.split(",")
    failed = 0
    for name in names:
        fn = table.get(name)
        if fn is None:
            print(f"FAIL {name}: unknown test case", flush=True)
            failed += 1
            continue
        result = []
        worker = threading.Thread(target=lambda: result.append(_run(fn)), daemon=True)
        worker.start()
        worker.join(10)
        error = result[0] if result else "timed out after 10 s"
        if error is None:
            print(f"PASS {name}", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: {error}", flush=True)
    channel.close()
    sys.exit(0 if failed == 0 else 1)


def _run(fn):
    try:
        fn()
        return None
    except Exception as e:  # noqa: BLE001 - every failure is reported per case
        return f"{type(e).__name__}: {e}"


if __name__ == "__main__":
    main()
