package mpclient

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	eventsv1 "marketpulse.dev/clients/go/marketpulse/events/v1"
	marketv1 "marketpulse.dev/clients/go/marketpulse/market/v1"
)

func encode(t *testing.T, event *eventsv1.Event) []byte {
	t.Helper()
	b, err := proto.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeEventReturnsThePayloadNamedByTheType(t *testing.T) {
	value := encode(t, &eventsv1.Event{Id: "e1", Type: "market_data_update", Subject: "AAPL", Payload: &eventsv1.Event_MarketDataUpdate{MarketDataUpdate: &marketv1.Tick{Symbol: "AAPL", Price: 190.5}}})
	event, payload, err := DecodeEvent(value)
	if err != nil {
		t.Fatal(err)
	}
	tick, ok := payload.(*marketv1.Tick)
	if !ok || tick.GetPrice() != 190.5 || event.GetId() != "e1" {
		t.Fatalf("got %v, %T %v", event, payload, payload)
	}
}

func TestDecodeEventRefusesAPayloadOfAnotherType(t *testing.T) {
	value := encode(t, &eventsv1.Event{Id: "e2", Type: "aggregation", Payload: &eventsv1.Event_MarketDataUpdate{MarketDataUpdate: &marketv1.Tick{Symbol: "AAPL"}}})
	if _, _, err := DecodeEvent(value); err == nil || !strings.Contains(err.Error(), `type "aggregation" but a market_data_update payload`) {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := DecodeEvent(encode(t, &eventsv1.Event{Id: "e3", Type: "aggregation"})); err == nil || !strings.Contains(err.Error(), "has no payload") {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := DecodeEvent([]byte{0xff, 0xff}); err == nil {
		t.Fatal("garbage decoded")
	}
}

func TestReadErrorOfSomethingElse(t *testing.T) {
	if _, ok := ReadError(nil); ok {
		t.Fatal("nil read as a status")
	}
}

func TestDecodeEventBoundsTheEventIdInItsErrors(t *testing.T) {
	long := strings.Repeat("x", 1<<20) + "\n\x1b[31m"
	for _, event := range []*eventsv1.Event{
		{Id: long, Type: "aggregation"},
		{Id: long, Type: strings.Repeat("t", 1<<20), Payload: &eventsv1.Event_MarketDataUpdate{MarketDataUpdate: &marketv1.Tick{Symbol: "AAPL"}}},
	} {
		_, _, err := DecodeEvent(encode(t, event))
		if err == nil {
			t.Fatal("decoded")
		}
		if len(err.Error()) > 300 {
			t.Fatalf("error of %d bytes: the event's id and type are the sender's, unbounded", len(err.Error()))
		}
		if strings.ContainsAny(err.Error(), "\n\x1b") {
			t.Fatalf("control characters of the sender in the error: %q", err.Error()[:80])
		}
	}
}
