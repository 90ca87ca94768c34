"""marketpulse_client against servers that answer with what no Marketpulse service sends."""
import threading

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from hostile import SilentProxy, serving
from marketpulse.market.v1 import market_pb2, market_service_pb2 as market, market_service_pb2_grpc
from marketpulse_client import MAX_RETRY_AFTER, dial, read_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def packed(message):
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


class Refuser(market_service_pb2_grpc.MarketDataServiceServicer):
    """Refuses GetQuote with INVALID_ARGUMENT "bad" and the trailer bytes the test sets."""

    details_bin = b""

    def GetQuote(self, request, context):
        context.set_trailing_metadata((("grpc-status-details-bin", self.details_bin),))
        context.abort(INVALID, "bad")


@pytest.fixture
def refusal():
    """Calls GetQuote on a Refuser whose trailer is ``details_bin`` and returns the RpcError."""
    refuser = Refuser()
    with serving(market_service_pb2_grpc.add_MarketDataServiceServicer_to_server, refuser) as address:
        stub = market_service_pb2_grpc.MarketDataServiceStub(dial(address))

        def refuse(details_bin):
            refuser.details_bin = details_bin
            with pytest.raises(grpc.RpcError) as raised:
                stub.GetQuote(market.GetQuoteRequest(symbol="AAPL"))
            return raised.value

        yield refuse


def test_read_error_keeps_code_and_message_when_the_status_details_are_corrupt(refusal):
    error = read_error(refusal(b"\xff\xff\xff\xff"))
    assert (error.code, error.message, error.reason, error.violations) == (INVALID, "bad", "", ())


def test_read_error_ignores_the_details_of_a_status_other_than_the_calls(refusal):
    info = packed(error_details_pb2.ErrorInfo(reason="NOT_FOUND", domain="elsewhere"))
    for other in [status_pb2.Status(code=5, message="bad", details=[info]), status_pb2.Status(code=3, message="other", details=[info])]:
        error = read_error(refusal(other.SerializeToString()))
        assert (error.code, error.message, error.reason) == (INVALID, "bad", "")


def test_read_error_skips_a_detail_it_cannot_decode_and_reads_the_rest(refusal):
    corrupt = any_pb2.Any(type_url="type.googleapis.com/google.rpc.ErrorInfo", value=b"\xff\xff\xff")
    bad = packed(error_details_pb2.BadRequest(field_violations=[error_details_pb2.BadRequest.FieldViolation(field="symbol", description="symbol is required")]))
    error = read_error(refusal(status_pb2.Status(code=3, message="bad", details=[corrupt, bad]).SerializeToString()))
    assert error.reason == "" and [(v.field, v.description) for v in error.violations] == [("symbol", "symbol is required")]


def test_read_error_reads_a_retry_delay_between_zero_and_an_hour(refusal):
    def delay(seconds, nanos=0):
        retry = packed(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=seconds, nanos=nanos)))
        return read_error(refusal(status_pb2.Status(code=3, message="bad", details=[retry]).SerializeToString())).retry_after

    assert delay(7, 500_000_000) == 7.5
    assert delay(-5) == 0.0
    assert delay(315_576_000_000) == MAX_RETRY_AFTER == 3600.0
    assert delay(2**63 - 1) == MAX_RETRY_AFTER


class OneTickThenQuiet(market_service_pb2_grpc.MarketDataServiceServicer):
    def StreamTicks(self, request, context):
        done = threading.Event()
        context.add_callback(done.set)
        yield market.StreamTicksResponse(tick=market_pb2.Tick(symbol="AAPL"))
        done.wait()


def test_a_stream_from_a_server_that_goes_silent_ends_with_unavailable():
    with serving(market_service_pb2_grpc.add_MarketDataServiceServicer_to_server, OneTickThenQuiet()) as address:
        proxy = SilentProxy(address)
        try:
            stub = market_service_pb2_grpc.MarketDataServiceStub(dial(proxy.address, keepalive=1.0))
            # The deadline only turns a hang into a failure; the keepalive ends the stream first.
            stream = stub.StreamTicks(market.StreamTicksRequest(symbols=["AAPL"]), timeout=90)
            assert next(stream).tick.symbol == "AAPL"
            proxy.go_silent()
            with pytest.raises(grpc.RpcError) as ended:
                next(stream)
            assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
        finally:
            proxy.close()
