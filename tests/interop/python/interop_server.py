"""grpc.testing.TestService on Python grpcio, for h2kit's interop client.

Flags: --port N (0 = any; prints "LISTENING <port>"), --use_tls, --cert FILE, --key FILE.
Follows grpc doc/interop-test-descriptions.md "Server" with generic handlers (no generated
stubs). grpcio hides whether a request message arrived compressed, so expect_compressed is
ignored and client_compressed_unary's probe cannot be served. Run with Debian's
/usr/bin/python3 (python3-grpcio, python3-protobuf).
"""

import argparse
import os
import signal
import sys
import time
from concurrent import futures

import grpc

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from grpc_testing_pb import M, TEST_SERVICE  # noqa: E402

CERTS = os.path.join(os.path.dirname(__file__), "..", "..", "_support", "certs")
ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
MAX_PAYLOAD = 8 * 1024 * 1024


def metadata(context):
    return dict(context.invocation_metadata())


def echo(context):
    md = metadata(context)
    if ECHO_INITIAL in md:
        context.send_initial_metadata(((ECHO_INITIAL, md[ECHO_INITIAL]),))
    if ECHO_TRAILING in md:
        context.set_trailing_metadata(((ECHO_TRAILING, md[ECHO_TRAILING]),))


def payload(size, context):
    if size < 0 or size > MAX_PAYLOAD:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad size")
    return M["Payload"](type=0, body=bytes(size))


def check_status(status, context):
    if status.code:
        context.abort(grpc.StatusCode(_code(status.code)), status.message)


def _code(number):
    for c in grpc.StatusCode:
        if c.value[0] == number:
            return c.value
    return grpc.StatusCode.UNKNOWN.value


def empty_call(_request, _context):
    return M["Empty"]()


def unary_call(request, context):
    echo(context)
    check_status(request.response_status, context)
    if request.response_compressed.value:
        context.set_compression(grpc.Compression.Gzip)
    else:
        context.disable_next_message_compression()
    return M["SimpleResponse"](payload=payload(request.response_size, context))


def responses(request, context):
    check_status(request.response_status, context)
    for p in request.response_parameters:
        if p.interval_us:
            time.sleep(p.interval_us / 1e6)
        yield M["StreamingOutputCallResponse"](payload=payload(p.size, context))


def streaming_output_call(request, context):
    echo(context)
    yield from responses(request, context)


def streaming_input_call(requests, context):
    total = 0
    for r in requests:
        total += len(r.payload.body)
    return M["StreamingInputCallResponse"](aggregated_payload_size=total)


def full_duplex_call(requests, context):
    echo(context)
    for r in requests:
        yield from responses(r, context)


def half_duplex_call(requests, context):
    echo(context)
    for r in list(requests):
        yield from responses(r, context)


IMPLEMENTATIONS = {
    "EmptyCall": empty_call,
    "UnaryCall": unary_call,
    "CacheableUnaryCall": unary_call,
    "StreamingOutputCall": streaming_output_call,
    "StreamingInputCall": streaming_input_call,
    "FullDuplexCall": full_duplex_call,
    "HalfDuplexCall": half_duplex_call,
}


def handlers():
    table = {}
    for name, fn in IMPLEMENTATIONS.items():
        req, res, req_stream, res_stream = TEST_SERVICE[name]
        kind = {
            (False, False): grpc.unary_unary_rpc_method_handler,
            (False, True): grpc.unary_stream_rpc_method_handler,
            (True, False): grpc.stream_unary_rpc_method_handler,
            (True, True): grpc.stream_stream_rpc_method_handler,
        }[(req_stream, res_stream)]
        table[name] = kind(
            fn,
            request_deserializer=M[req].FromString,
            response_serializer=M[res].SerializeToString,
        )
    return grpc.method_handlers_generic_handler("grpc.testing.TestService", table)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--use_tls", nargs="?", const="true", default="false")
    parser.add_argument("--cert", default=os.path.join(CERTS, "server.crt"))
    parser.add_argument("--key", default=os.path.join(CERTS, "server.key"))
    args = parser.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((handlers(),))
    address = f"127.0.0.1:{args.port}"
    if args.use_tls != "false":
        with open(args.key, "rb") as k, open(args.cert, "rb") as c:
            creds = grpc.ssl_server_credentials(((k.read(), c.read()),))
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    server.start()
    print(f"LISTENING {port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (server.stop(0), sys.exit(0)))
    server.wait_for_termination()


if __name__ == "__main__":
    main()
