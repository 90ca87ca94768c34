"""marketpulse_client's event decoding, without a running suite."""
import pytest

from marketpulse.events.v1 import event_pb2
from marketpulse.market.v1 import market_pb2
from marketpulse_client import decode_event


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
