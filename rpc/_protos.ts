/**
 * The `.proto` sources of the ready-made services, embedded so they load
 * without file access (private). They are byte-for-byte copies of the files
 * under `proto/`; tests/rpc/protos_test.ts keeps them in sync.
 *
 * @module
 */

/** `proto/grpc/health/v1/health.proto`. */
export const HEALTH_PROTO =
  `// The standard gRPC health checking protocol (grpc doc/health-checking.md).
syntax = "proto3";

package grpc.health.v1;

// Which service to check; empty for the server as a whole.
message HealthCheckRequest {
  string service = 1;
}

// The serving status.
message HealthCheckResponse {
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
    SERVICE_UNKNOWN = 3; // Used only by Watch.
  }
  ServingStatus status = 1;
}

// Health checking.
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

/** `proto/grpc/reflection/v1/reflection.proto`. */
export const REFLECTION_PROTO =
  `// gRPC server reflection, v1 (grpc doc/server-reflection.md): lets generic
// tools such as grpcurl list services and fetch their descriptors.
syntax = "proto3";

package grpc.reflection.v1;

// Reflection.
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}

// One reflection request.
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}

// An extension lookup.
message ExtensionRequest {
  string containing_type = 1;
  int32 extension_number = 2;
}

// One reflection response.
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}

// Serialized google.protobuf.FileDescriptorProto messages.
message FileDescriptorResponse {
  repeated bytes file_descriptor_proto = 1;
}

// Extension numbers of a type.
message ExtensionNumberResponse {
  string base_type_name = 1;
  repeated int32 extension_number = 2;
}

// The services a server exposes.
message ListServiceResponse {
  repeated ServiceResponse service = 1;
}

// One service name.
message ServiceResponse {
  string name = 1;
}

// A failed request.
message ErrorResponse {
  int32 error_code = 1;
  string error_message = 2;
}
`;

/** `proto/google/rpc/status.proto`. */
export const STATUS_PROTO = `// The rich error model carried in grpc-status-details-bin.
syntax = "proto3";

package google.rpc;

import "google/protobuf/any.proto";

// A status: code, developer message and typed details.
message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
`;
