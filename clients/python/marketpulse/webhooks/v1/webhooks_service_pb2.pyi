import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from marketpulse.webhooks.v1 import webhooks_pb2 as _webhooks_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateEndpointRequest(_message.Message):
    __slots__ = ("endpoint",)
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    endpoint: _webhooks_pb2.Endpoint
    def __init__(self, endpoint: _Optional[_Union[_webhooks_pb2.Endpoint, _Mapping]] = ...) -> None: ...

class CreateEndpointResponse(_message.Message):
    __slots__ = ("endpoint",)
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    endpoint: _webhooks_pb2.Endpoint
    def __init__(self, endpoint: _Optional[_Union[_webhooks_pb2.Endpoint, _Mapping]] = ...) -> None: ...

class ListEndpointsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListEndpointsResponse(_message.Message):
    __slots__ = ("endpoints",)
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    endpoints: _containers.RepeatedCompositeFieldContainer[_webhooks_pb2.Endpoint]
    def __init__(self, endpoints: _Optional[_Iterable[_Union[_webhooks_pb2.Endpoint, _Mapping]]] = ...) -> None: ...

class GetEndpointRequest(_message.Message):
    __slots__ = ("id", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetEndpointResponse(_message.Message):
    __slots__ = ("endpoint",)
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    endpoint: _webhooks_pb2.Endpoint
    def __init__(self, endpoint: _Optional[_Union[_webhooks_pb2.Endpoint, _Mapping]] = ...) -> None: ...

class UpdateEndpointRequest(_message.Message):
    __slots__ = ("endpoint", "update_mask", "user_id")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint: _webhooks_pb2.Endpoint
    update_mask: _field_mask_pb2.FieldMask
    user_id: str
    def __init__(self, endpoint: _Optional[_Union[_webhooks_pb2.Endpoint, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...

class UpdateEndpointResponse(_message.Message):
    __slots__ = ("endpoint",)
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    endpoint: _webhooks_pb2.Endpoint
    def __init__(self, endpoint: _Optional[_Union[_webhooks_pb2.Endpoint, _Mapping]] = ...) -> None: ...

class DeleteEndpointRequest(_message.Message):
    __slots__ = ("id", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class DeleteEndpointResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("endpoint_id", "user_id", "status", "since", "limit")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    user_id: str
    status: str
    since: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, endpoint_id: _Optional[str] = ..., user_id: _Optional[str] = ..., status: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[_webhooks_pb2.Delivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[_webhooks_pb2.Delivery, _Mapping]]] = ...) -> None: ...

class SendTestEventRequest(_message.Message):
    __slots__ = ("endpoint_id", "user_id", "event_type")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    user_id: str
    event_type: str
    def __init__(self, endpoint_id: _Optional[str] = ..., user_id: _Optional[str] = ..., event_type: _Optional[str] = ...) -> None: ...

class SendTestEventResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: _webhooks_pb2.Delivery
    def __init__(self, delivery: _Optional[_Union[_webhooks_pb2.Delivery, _Mapping]] = ...) -> None: ...

class ReplayDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id", "user_id")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    user_id: str
    def __init__(self, delivery_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ReplayDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: _webhooks_pb2.Delivery
    def __init__(self, delivery: _Optional[_Union[_webhooks_pb2.Delivery, _Mapping]] = ...) -> None: ...

class ReplayFailedRequest(_message.Message):
    __slots__ = ("endpoint_id", "user_id", "start_time", "end_time")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    user_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, endpoint_id: _Optional[str] = ..., user_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReplayFailedResponse(_message.Message):
    __slots__ = ("replayed_count", "delivery_ids")
    REPLAYED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_IDS_FIELD_NUMBER: _ClassVar[int]
    replayed_count: int
    delivery_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, replayed_count: _Optional[int] = ..., delivery_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RotateSecretRequest(_message.Message):
    __slots__ = ("endpoint_id", "user_id", "overlap_seconds", "new_secret")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NEW_SECRET_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    user_id: str
    overlap_seconds: int
    new_secret: str
    def __init__(self, endpoint_id: _Optional[str] = ..., user_id: _Optional[str] = ..., overlap_seconds: _Optional[int] = ..., new_secret: _Optional[str] = ...) -> None: ...

class RotateSecretResponse(_message.Message):
    __slots__ = ("endpoint", "previous_secret_expires_at")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    endpoint: _webhooks_pb2.Endpoint
    previous_secret_expires_at: _timestamp_pb2.Timestamp
    def __init__(self, endpoint: _Optional[_Union[_webhooks_pb2.Endpoint, _Mapping]] = ..., previous_secret_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetEndpointStatsRequest(_message.Message):
    __slots__ = ("endpoint_id", "user_id", "hours")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    user_id: str
    hours: int
    def __init__(self, endpoint_id: _Optional[str] = ..., user_id: _Optional[str] = ..., hours: _Optional[int] = ...) -> None: ...

class GetEndpointStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _webhooks_pb2.EndpointStats
    def __init__(self, stats: _Optional[_Union[_webhooks_pb2.EndpointStats, _Mapping]] = ...) -> None: ...
