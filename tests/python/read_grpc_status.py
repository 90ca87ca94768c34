"""Calls one gRPC method with request bytes given in hex and prints, as JSON, what a Python client
reads from the answer's google.rpc.Status (grpcio-status): the code, message, ErrorInfo and
BadRequest field violations. Usage: read_grpc_status.py ADDRESS /pkg.Service/Method HEX_BYTES
"""
import json
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def main() -> int:
    address, method, hex_request = sys.argv[1:4]
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            call(bytes.fromhex(hex_request), timeout=15)
        except grpc.RpcError as err:
            status = rpc_status.from_call(err)
            out = {"grpc_code": err.code().name, "status": None}
            if status is not None:
                out["status"] = {"code": status.code, "message": status.message, "error_info": None, "field_violations": []}
                for detail in status.details:
                    if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                        info = error_details_pb2.ErrorInfo()
                        detail.Unpack(info)
                        out["status"]["error_info"] = {"reason": info.reason, "domain": info.domain, "metadata": dict(info.metadata)}
                    elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                        bad = error_details_pb2.BadRequest()
                        detail.Unpack(bad)
                        out["status"]["field_violations"] += [{"field": v.field, "description": v.description} for v in bad.field_violations]
            print(json.dumps(out, ensure_ascii=False))
            return 0
    print(json.dumps({"grpc_code": "OK"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
