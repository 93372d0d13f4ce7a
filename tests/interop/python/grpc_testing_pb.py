"""grpc.testing messages for the grpcio interop peers, built at run time.

Debian ships python3-grpcio and python3-protobuf but not protoc or grpc_tools, so the
message classes are made from a FileDescriptorProto written here: only the messages and
fields the interop cases use (proto/grpc/testing/messages.proto, same numbers and types).
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_MESSAGES = {
    "Empty": [],
    "BoolValue": [("value", 1, _F.TYPE_BOOL, None, False)],
    "Payload": [("type", 1, _F.TYPE_INT32, None, False), ("body", 2, _F.TYPE_BYTES, None, False)],
    "EchoStatus": [
        ("code", 1, _F.TYPE_INT32, None, False),
        ("message", 2, _F.TYPE_STRING, None, False),
    ],
    "SimpleRequest": [
        ("response_type", 1, _F.TYPE_INT32, None, False),
        ("response_size", 2, _F.TYPE_INT32, None, False),
        ("payload", 3, _F.TYPE_MESSAGE, "Payload", False),
        ("response_compressed", 6, _F.TYPE_MESSAGE, "BoolValue", False),
        ("response_status", 7, _F.TYPE_MESSAGE, "EchoStatus", False),
        ("expect_compressed", 8, _F.TYPE_MESSAGE, "BoolValue", False),
    ],
    "SimpleResponse": [
        ("payload", 1, _F.TYPE_MESSAGE, "Payload", False),
        ("username", 2, _F.TYPE_STRING, None, False),
    ],
    "StreamingInputCallRequest": [
        ("payload", 1, _F.TYPE_MESSAGE, "Payload", False),
        ("expect_compressed", 2, _F.TYPE_MESSAGE, "BoolValue", False),
    ],
    "StreamingInputCallResponse": [("aggregated_payload_size", 1, _F.TYPE_INT32, None, False)],
    "ResponseParameters": [
        ("size", 1, _F.TYPE_INT32, None, False),
        ("interval_us", 2, _F.TYPE_INT32, None, False),
        ("compressed", 3, _F.TYPE_MESSAGE, "BoolValue", False),
    ],
    "StreamingOutputCallRequest": [
        ("response_type", 1, _F.TYPE_INT32, None, False),
        ("response_parameters", 2, _F.TYPE_MESSAGE, "ResponseParameters", True),
        ("payload", 3, _F.TYPE_MESSAGE, "Payload", False),
        ("response_status", 7, _F.TYPE_MESSAGE, "EchoStatus", False),
    ],
    "StreamingOutputCallResponse": [("payload", 1, _F.TYPE_MESSAGE, "Payload", False)],
}


def _build():
    # Enum-typed fields (PayloadType) are declared int32: same varint wire encoding.
    file = descriptor_pb2.FileDescriptorProto(
        name="h2kit_interop_messages.proto", package="grpc.testing", syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        msg = file.message_type.add(name=name)
        for fname, number, ftype, type_name, repeated in fields:
            field = msg.field.add(name=fname, number=number, type=ftype)
            field.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
            if type_name is not None:
                field.type_name = f".grpc.testing.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    classes = {}
    for name in _MESSAGES:
        desc = pool.FindMessageTypeByName(f"grpc.testing.{name}")
        if hasattr(message_factory, "GetMessageClass"):
            classes[name] = message_factory.GetMessageClass(desc)
        else:
            classes[name] = message_factory.MessageFactory(pool).GetPrototype(desc)
    return classes


M = _build()

# method name -> (request class, response class, request streaming, response streaming)
TEST_SERVICE = {
    "EmptyCall": ("Empty", "Empty", False, False),
    "UnaryCall": ("SimpleRequest", "SimpleResponse", False, False),
    "CacheableUnaryCall": ("SimpleRequest", "SimpleResponse", False, False),
    "StreamingOutputCall": ("StreamingOutputCallRequest", "StreamingOutputCallResponse", False, True),
    "StreamingInputCall": ("StreamingInputCallRequest", "StreamingInputCallResponse", True, False),
    "FullDuplexCall": ("StreamingOutputCallRequest", "StreamingOutputCallResponse", True, True),
    "HalfDuplexCall": ("StreamingOutputCallRequest", "StreamingOutputCallResponse", True, True),
    "UnimplementedCall": ("Empty", "Empty", False, False),
}
