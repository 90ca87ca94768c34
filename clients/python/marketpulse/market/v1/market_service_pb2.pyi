import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from marketpulse.market.v1 import market_pb2 as _market_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetQuoteRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetQuoteResponse(_message.Message):
    __slots__ = ("quote",)
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    quote: _market_pb2.Quote
    def __init__(self, quote: _Optional[_Union[_market_pb2.Quote, _Mapping]] = ...) -> None: ...

class ListSymbolsRequest(_message.Message):
    __slots__ = ("asset_class",)
    ASSET_CLASS_FIELD_NUMBER: _ClassVar[int]
    asset_class: str
    def __init__(self, asset_class: _Optional[str] = ...) -> None: ...

class ListSymbolsResponse(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[_market_pb2.SymbolInfo]
    def __init__(self, symbols: _Optional[_Iterable[_Union[_market_pb2.SymbolInfo, _Mapping]]] = ...) -> None: ...

class GetCandlesRequest(_message.Message):
    __slots__ = ("symbol", "interval", "start_time", "end_time", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class GetCandlesResponse(_message.Message):
    __slots__ = ("candles",)
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    candles: _containers.RepeatedCompositeFieldContainer[_market_pb2.Candle]
    def __init__(self, candles: _Optional[_Iterable[_Union[_market_pb2.Candle, _Mapping]]] = ...) -> None: ...

class StreamTicksRequest(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamTicksResponse(_message.Message):
    __slots__ = ("tick",)
    TICK_FIELD_NUMBER: _ClassVar[int]
    tick: _market_pb2.Tick
    def __init__(self, tick: _Optional[_Union[_market_pb2.Tick, _Mapping]] = ...) -> None: ...

class GetProviderStatsRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class GetProviderStatsResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[_market_pb2.ProviderCallStats]
    def __init__(self, providers: _Optional[_Iterable[_Union[_market_pb2.ProviderCallStats, _Mapping]]] = ...) -> None: ...

class ListDataQualityIssuesRequest(_message.Message):
    __slots__ = ("symbol", "kind", "since", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    kind: str
    since: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., kind: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListDataQualityIssuesResponse(_message.Message):
    __slots__ = ("issues",)
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    issues: _containers.RepeatedCompositeFieldContainer[_market_pb2.DataQualityIssue]
    def __init__(self, issues: _Optional[_Iterable[_Union[_market_pb2.DataQualityIssue, _Mapping]]] = ...) -> None: ...
