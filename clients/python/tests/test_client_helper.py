"""marketpulse_client's event decoding and error reading, without a running suite."""
import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from marketpulse.events.v1 import event_pb2
from marketpulse.market.v1 import market_pb2
from marketpulse_client import decode_event, dial, read_error


def test_decode_event_returns_the_payload_named_by_the_type():
    value = event_pb2.Event(id="e1", type="market_data_update", subject="AAPL", market_data_update=market_pb2.Tick(symbol="AAPL", price=190.5)).SerializeToString()
    event, payload = decode_event(value)
    assert event.id == "e1" and isinstance(payload, market_pb2.Tick) and payload.price == 190.5


def test_decode_event_refuses_a_payload_of_another_type():
    mismatched = event_pb2.Event(id="e2", type="aggregation", market_data_update=market_pb2.Tick(symbol="AAPL")).SerializeToString()
    with pytest.raises(ValueError, match="type 'aggregation' but a market_data_update payload"):
        decode_event(mismatched)
    with pytest.raises(ValueError, match="has no payload"):
        decode_event(event_pb2.Event(id="e3", type="aggregation").SerializeToString())


def test_decode_event_raises_value_error_for_bytes_that_are_no_event_and_bounds_what_it_quotes():
    with pytest.raises(ValueError, match="not a marketpulse Event"):
        decode_event(b"\xff\xff\xff\xff")
    long_id = "x" * 1_000_000
    with pytest.raises(ValueError) as refused:
        decode_event(event_pb2.Event(id=long_id, type="aggregation").SerializeToString())
    assert len(str(refused.value)) < 200


def test_decode_event_raises_value_error_for_a_tombstone():
    with pytest.raises(ValueError, match="no value"):
        decode_event(None)


class _Refusal(grpc.RpcError):
    """A failed call as grpcio raises it: its code, details and trailing metadata."""

    def __init__(self, status):
        self._status = status

    def code(self):
        return grpc.StatusCode.RESOURCE_EXHAUSTED

    def details(self):
        return self._status.message

    def trailing_metadata(self):
        return (("grpc-status-details-bin", self._status.SerializeToString()),)


def test_read_error_hands_over_the_retry_delay_of_a_refusal():
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason="RATE_LIMITED", domain="marketpulse", metadata={"retry_after_seconds": "7"}))
    retry = any_pb2.Any()
    retry.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=7)))
    status = status_pb2.Status(code=grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message="too many requests", details=[info, retry])
    error = read_error(_Refusal(status))
    assert error.reason == "RATE_LIMITED" and error.retry_after == 7.0
    without = status_pb2.Status(code=grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message="too many requests", details=[info])
    assert read_error(_Refusal(without)).retry_after is None


def test_dial_refuses_a_token_a_header_cannot_carry_before_sending_anything():
    # Read from a file with its newline, it made every call fail with gRPC's INTERNAL "Invalid metadata".
    for token in ("eyJhbGciOi.x.y\n", "mpk_\u00e9", "a b"):
        with pytest.raises(ValueError, match="strip it"):
            dial("127.0.0.1:9", token=token, ready_timeout=0.1)
