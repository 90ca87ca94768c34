import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Provider(_message.Message):
    __slots__ = ("id", "name", "category", "status", "response_time_ms", "rate_limit", "last_fetch", "has_key", "api_key_masked", "endpoint", "last_error", "check_interval_seconds")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    LAST_FETCH_FIELD_NUMBER: _ClassVar[int]
    HAS_KEY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_MASKED_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CHECK_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    category: str
    status: str
    response_time_ms: float
    rate_limit: RateLimitStatus
    last_fetch: _timestamp_pb2.Timestamp
    has_key: bool
    api_key_masked: str
    endpoint: str
    last_error: str
    check_interval_seconds: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., status: _Optional[str] = ..., response_time_ms: _Optional[float] = ..., rate_limit: _Optional[_Union[RateLimitStatus, _Mapping]] = ..., last_fetch: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., has_key: _Optional[bool] = ..., api_key_masked: _Optional[str] = ..., endpoint: _Optional[str] = ..., last_error: _Optional[str] = ..., check_interval_seconds: _Optional[int] = ...) -> None: ...

class RateLimitStatus(_message.Message):
    __slots__ = ("provider", "limit_type", "limit_value", "current_usage", "percentage", "reset_time", "reset_in_seconds", "status")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_USAGE_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    RESET_TIME_FIELD_NUMBER: _ClassVar[int]
    RESET_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    limit_type: str
    limit_value: int
    current_usage: int
    percentage: float
    reset_time: _timestamp_pb2.Timestamp
    reset_in_seconds: int
    status: str
    def __init__(self, provider: _Optional[str] = ..., limit_type: _Optional[str] = ..., limit_value: _Optional[int] = ..., current_usage: _Optional[int] = ..., percentage: _Optional[float] = ..., reset_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reset_in_seconds: _Optional[int] = ..., status: _Optional[str] = ...) -> None: ...

class ProviderStats(_message.Message):
    __slots__ = ("provider", "hours", "total_requests", "successful_requests", "failed_requests", "rate_limited_requests", "success_rate", "uptime_percentage", "avg_response_time_ms", "min_response_time_ms", "max_response_time_ms", "p95_response_time_ms", "data_collections", "last_success_at", "last_failure_at", "last_error")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    UPTIME_PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    AVG_RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    MIN_RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    P95_RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    DATA_COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    provider: str
    hours: int
    total_requests: int
    successful_requests: int
    failed_requests: int
    rate_limited_requests: int
    success_rate: float
    uptime_percentage: float
    avg_response_time_ms: float
    min_response_time_ms: float
    max_response_time_ms: float
    p95_response_time_ms: float
    data_collections: int
    last_success_at: _timestamp_pb2.Timestamp
    last_failure_at: _timestamp_pb2.Timestamp
    last_error: str
    def __init__(self, provider: _Optional[str] = ..., hours: _Optional[int] = ..., total_requests: _Optional[int] = ..., successful_requests: _Optional[int] = ..., failed_requests: _Optional[int] = ..., rate_limited_requests: _Optional[int] = ..., success_rate: _Optional[float] = ..., uptime_percentage: _Optional[float] = ..., avg_response_time_ms: _Optional[float] = ..., min_response_time_ms: _Optional[float] = ..., max_response_time_ms: _Optional[float] = ..., p95_response_time_ms: _Optional[float] = ..., data_collections: _Optional[int] = ..., last_success_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_failure_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ...) -> None: ...

class SystemMetrics(_message.Message):
    __slots__ = ("total_providers", "online_count", "degraded_count", "offline_count", "avg_response_time_ms", "total_requests_hour", "total_failures_hour", "system_health", "timestamp", "process", "host")
    TOTAL_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    ONLINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    AVG_RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REQUESTS_HOUR_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FAILURES_HOUR_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_HEALTH_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    total_providers: int
    online_count: int
    degraded_count: int
    offline_count: int
    avg_response_time_ms: float
    total_requests_hour: int
    total_failures_hour: int
    system_health: str
    timestamp: _timestamp_pb2.Timestamp
    process: ProcessMetrics
    host: HostMetrics
    def __init__(self, total_providers: _Optional[int] = ..., online_count: _Optional[int] = ..., degraded_count: _Optional[int] = ..., offline_count: _Optional[int] = ..., avg_response_time_ms: _Optional[float] = ..., total_requests_hour: _Optional[int] = ..., total_failures_hour: _Optional[int] = ..., system_health: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., process: _Optional[_Union[ProcessMetrics, _Mapping]] = ..., host: _Optional[_Union[HostMetrics, _Mapping]] = ...) -> None: ...

class ProcessMetrics(_message.Message):
    __slots__ = ("pid", "uptime_seconds", "cpu_percent", "rss_bytes", "heap_used_bytes", "heap_total_bytes", "event_loop_delay_p99_ms", "active_handles")
    PID_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    EVENT_LOOP_DELAY_P99_MS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_HANDLES_FIELD_NUMBER: _ClassVar[int]
    pid: int
    uptime_seconds: int
    cpu_percent: float
    rss_bytes: int
    heap_used_bytes: int
    heap_total_bytes: int
    event_loop_delay_p99_ms: float
    active_handles: int
    def __init__(self, pid: _Optional[int] = ..., uptime_seconds: _Optional[int] = ..., cpu_percent: _Optional[float] = ..., rss_bytes: _Optional[int] = ..., heap_used_bytes: _Optional[int] = ..., heap_total_bytes: _Optional[int] = ..., event_loop_delay_p99_ms: _Optional[float] = ..., active_handles: _Optional[int] = ...) -> None: ...

class HostMetrics(_message.Message):
    __slots__ = ("hostname", "platform", "cpus", "load_average", "memory_total_bytes", "memory_free_bytes", "memory_used_percent", "uptime_seconds")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    CPUS_FIELD_NUMBER: _ClassVar[int]
    LOAD_AVERAGE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USED_PERCENT_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    platform: str
    cpus: int
    load_average: _containers.RepeatedScalarFieldContainer[float]
    memory_total_bytes: int
    memory_free_bytes: int
    memory_used_percent: float
    uptime_seconds: int
    def __init__(self, hostname: _Optional[str] = ..., platform: _Optional[str] = ..., cpus: _Optional[int] = ..., load_average: _Optional[_Iterable[float]] = ..., memory_total_bytes: _Optional[int] = ..., memory_free_bytes: _Optional[int] = ..., memory_used_percent: _Optional[float] = ..., uptime_seconds: _Optional[int] = ...) -> None: ...

class StatusUpdate(_message.Message):
    __slots__ = ("system_metrics", "alert_count")
    SYSTEM_METRICS_FIELD_NUMBER: _ClassVar[int]
    ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    system_metrics: SystemMetrics
    alert_count: int
    def __init__(self, system_metrics: _Optional[_Union[SystemMetrics, _Mapping]] = ..., alert_count: _Optional[int] = ...) -> None: ...

class ProviderStatusChange(_message.Message):
    __slots__ = ("provider", "old_status", "new_status", "details")
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    old_status: str
    new_status: str
    details: _containers.ScalarMap[str, str]
    def __init__(self, provider: _Optional[str] = ..., old_status: _Optional[str] = ..., new_status: _Optional[str] = ..., details: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RateLimitAlert(_message.Message):
    __slots__ = ("provider", "percentage", "severity", "used", "limit", "limit_type")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    provider: str
    percentage: float
    severity: str
    used: int
    limit: int
    limit_type: str
    def __init__(self, provider: _Optional[str] = ..., percentage: _Optional[float] = ..., severity: _Optional[str] = ..., used: _Optional[int] = ..., limit: _Optional[int] = ..., limit_type: _Optional[str] = ...) -> None: ...

class LogEntry(_message.Message):
    __slots__ = ("id", "log_type", "timestamp", "provider", "endpoint", "status", "response_time_ms", "http_status_code", "error_type", "error_message", "retry_count", "retry_result", "category", "record_count", "staleness_minutes", "data_timestamp", "limit_type", "limit_value", "current_usage", "percentage")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOG_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    RETRY_RESULT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    STALENESS_MINUTES_FIELD_NUMBER: _ClassVar[int]
    DATA_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LIMIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_USAGE_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    log_type: str
    timestamp: _timestamp_pb2.Timestamp
    provider: str
    endpoint: str
    status: str
    response_time_ms: float
    http_status_code: int
    error_type: str
    error_message: str
    retry_count: int
    retry_result: str
    category: str
    record_count: int
    staleness_minutes: float
    data_timestamp: _timestamp_pb2.Timestamp
    limit_type: str
    limit_value: int
    current_usage: int
    percentage: float
    def __init__(self, id: _Optional[str] = ..., log_type: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., provider: _Optional[str] = ..., endpoint: _Optional[str] = ..., status: _Optional[str] = ..., response_time_ms: _Optional[float] = ..., http_status_code: _Optional[int] = ..., error_type: _Optional[str] = ..., error_message: _Optional[str] = ..., retry_count: _Optional[int] = ..., retry_result: _Optional[str] = ..., category: _Optional[str] = ..., record_count: _Optional[int] = ..., staleness_minutes: _Optional[float] = ..., data_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit_type: _Optional[str] = ..., limit_value: _Optional[int] = ..., current_usage: _Optional[int] = ..., percentage: _Optional[float] = ...) -> None: ...

class SchedulerJob(_message.Message):
    __slots__ = ("id", "name", "trigger", "interval_seconds", "next_run_time", "last_run_time", "last_status", "last_error", "run_count", "paused")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    RUN_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    trigger: str
    interval_seconds: int
    next_run_time: _timestamp_pb2.Timestamp
    last_run_time: _timestamp_pb2.Timestamp
    last_status: str
    last_error: str
    run_count: int
    paused: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., trigger: _Optional[str] = ..., interval_seconds: _Optional[int] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_status: _Optional[str] = ..., last_error: _Optional[str] = ..., run_count: _Optional[int] = ..., paused: _Optional[bool] = ...) -> None: ...

class TableStats(_message.Message):
    __slots__ = ("name", "row_count", "size_bytes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    row_count: int
    size_bytes: int
    def __init__(self, name: _Optional[str] = ..., row_count: _Optional[int] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class ErrorTypeCount(_message.Message):
    __slots__ = ("error_type", "count", "percentage")
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    error_type: str
    count: int
    percentage: float
    def __init__(self, error_type: _Optional[str] = ..., count: _Optional[int] = ..., percentage: _Optional[float] = ...) -> None: ...

class ProviderFailureCount(_message.Message):
    __slots__ = ("provider", "failure_count", "failure_rate")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    provider: str
    failure_count: int
    failure_rate: float
    def __init__(self, provider: _Optional[str] = ..., failure_count: _Optional[int] = ..., failure_rate: _Optional[float] = ...) -> None: ...

class RemediationSuggestion(_message.Message):
    __slots__ = ("issue", "suggestion", "priority", "provider")
    ISSUE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    issue: str
    suggestion: str
    priority: str
    provider: str
    def __init__(self, issue: _Optional[str] = ..., suggestion: _Optional[str] = ..., priority: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class CategoryCount(_message.Message):
    __slots__ = ("category", "count")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    category: str
    count: int
    def __init__(self, category: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...
