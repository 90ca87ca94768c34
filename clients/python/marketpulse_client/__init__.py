"""Connect to Marketpulse's gRPC services from Python.

``dial`` opens a channel with retries, a default deadline and keepalive, ``read_error`` reads the
reason and field violations a service puts in the google.rpc.Status details of an error, and
``decode_event`` decodes a Kafka record into its events.v1.Event envelope and the payload named by
its type. The generated modules are ``marketpulse.<area>.v1.<file>_pb2`` and ``..._pb2_grpc``.
"""
from marketpulse_client.channel import dial
from marketpulse_client.errors import MAX_RETRY_AFTER, FieldViolation, ServiceError, read_error
from marketpulse_client.events import decode_event

__all__ = ["dial", "read_error", "decode_event", "ServiceError", "FieldViolation", "MAX_RETRY_AFTER"]
