import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from marketpulse.prediction.v1 import prediction_pb2 as _prediction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPredictionRequest(_message.Message):
    __slots__ = ("symbol", "horizon_seconds")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    horizon_seconds: int
    def __init__(self, symbol: _Optional[str] = ..., horizon_seconds: _Optional[int] = ...) -> None: ...

class GetPredictionResponse(_message.Message):
    __slots__ = ("prediction",)
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    prediction: _prediction_pb2.Prediction
    def __init__(self, prediction: _Optional[_Union[_prediction_pb2.Prediction, _Mapping]] = ...) -> None: ...

class StreamPredictionsRequest(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamPredictionsResponse(_message.Message):
    __slots__ = ("prediction",)
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    prediction: _prediction_pb2.Prediction
    def __init__(self, prediction: _Optional[_Union[_prediction_pb2.Prediction, _Mapping]] = ...) -> None: ...

class TrainModelRequest(_message.Message):
    __slots__ = ("symbol", "algorithm", "parameters", "training_start", "training_end", "description")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_START_FIELD_NUMBER: _ClassVar[int]
    TRAINING_END_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    algorithm: str
    parameters: _containers.ScalarMap[str, str]
    training_start: _timestamp_pb2.Timestamp
    training_end: _timestamp_pb2.Timestamp
    description: str
    def __init__(self, symbol: _Optional[str] = ..., algorithm: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., training_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., training_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class TrainModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: _prediction_pb2.ModelVersion
    def __init__(self, model: _Optional[_Union[_prediction_pb2.ModelVersion, _Mapping]] = ...) -> None: ...

class DeployModelRequest(_message.Message):
    __slots__ = ("symbol", "version", "requested_by")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    version: str
    requested_by: str
    def __init__(self, symbol: _Optional[str] = ..., version: _Optional[str] = ..., requested_by: _Optional[str] = ...) -> None: ...

class DeployModelResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: _prediction_pb2.ModelDeployment
    def __init__(self, deployment: _Optional[_Union[_prediction_pb2.ModelDeployment, _Mapping]] = ...) -> None: ...

class RollbackModelRequest(_message.Message):
    __slots__ = ("symbol", "version", "requested_by")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    version: str
    requested_by: str
    def __init__(self, symbol: _Optional[str] = ..., version: _Optional[str] = ..., requested_by: _Optional[str] = ...) -> None: ...

class RollbackModelResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: _prediction_pb2.ModelDeployment
    def __init__(self, deployment: _Optional[_Union[_prediction_pb2.ModelDeployment, _Mapping]] = ...) -> None: ...

class ListModelVersionsRequest(_message.Message):
    __slots__ = ("symbol", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListModelVersionsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[_prediction_pb2.ModelVersion]
    def __init__(self, models: _Optional[_Iterable[_Union[_prediction_pb2.ModelVersion, _Mapping]]] = ...) -> None: ...

class RunBacktestRequest(_message.Message):
    __slots__ = ("symbol", "model_version", "start_time", "end_time", "horizon_seconds")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    model_version: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    horizon_seconds: int
    def __init__(self, symbol: _Optional[str] = ..., model_version: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., horizon_seconds: _Optional[int] = ...) -> None: ...

class RunBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: _prediction_pb2.Backtest
    def __init__(self, backtest: _Optional[_Union[_prediction_pb2.Backtest, _Mapping]] = ...) -> None: ...

class GetBacktestRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: _prediction_pb2.Backtest
    def __init__(self, backtest: _Optional[_Union[_prediction_pb2.Backtest, _Mapping]] = ...) -> None: ...
