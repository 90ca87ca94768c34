package mpclient

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	eventsv1 "marketpulse.dev/clients/go/marketpulse/events/v1"
)

// DecodeEvent decodes a Kafka record's value (a protobuf events.v1.Event, on the topic
// `<prefix><type>`) and returns the envelope and its payload, the message of the oneof case named
// like the event's type (e.g. *marketv1.Tick for "market_data_update"). It refuses an envelope
// whose payload case differs from its type. Its errors quote the record's id and type (the
// producer's text) cut to 64 characters: a hostile record cannot grow or garble a log line.
func DecodeEvent(value []byte) (*eventsv1.Event, proto.Message, error) {
	event := &eventsv1.Event{}
	if err := proto.Unmarshal(value, event); err != nil {
		return nil, nil, fmt.Errorf("mpclient: not an events.v1.Event: %w", err)
	}
	m := event.ProtoReflect()
	field := m.WhichOneof(m.Descriptor().Oneofs().ByName("payload"))
	if field == nil {
		return event, nil, fmt.Errorf("mpclient: event %.64q of type %.64q has no payload", event.GetId(), event.GetType())
	}
	if field.Name() != protoreflect.Name(event.GetType()) {
		return event, nil, fmt.Errorf("mpclient: event %.64q has type %.64q but a %s payload", event.GetId(), event.GetType(), field.Name())
	}
	return event, m.Get(field).Message().Interface(), nil
}
