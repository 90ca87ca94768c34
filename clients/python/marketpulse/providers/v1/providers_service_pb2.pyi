import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from marketpulse.providers.v1 import providers_pb2 as _providers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListProvidersRequest(_message.Message):
    __slots__ = ("category", "status", "search")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    category: str
    status: str
    search: str
    def __init__(self, category: _Optional[str] = ..., status: _Optional[str] = ..., search: _Optional[str] = ...) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[_providers_pb2.Provider]
    def __init__(self, providers: _Optional[_Iterable[_Union[_providers_pb2.Provider, _Mapping]]] = ...) -> None: ...

class GetProviderRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetProviderResponse(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: _providers_pb2.Provider
    def __init__(self, provider: _Optional[_Union[_providers_pb2.Provider, _Mapping]] = ...) -> None: ...

class GetProviderStatsRequest(_message.Message):
    __slots__ = ("name", "hours")
    NAME_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    name: str
    hours: int
    def __init__(self, name: _Optional[str] = ..., hours: _Optional[int] = ...) -> None: ...

class GetProviderStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _providers_pb2.ProviderStats
    def __init__(self, stats: _Optional[_Union[_providers_pb2.ProviderStats, _Mapping]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("total_apis", "online", "degraded", "offline", "avg_response_time_ms", "last_update", "system_health")
    TOTAL_APIS_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    AVG_RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATE_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_HEALTH_FIELD_NUMBER: _ClassVar[int]
    total_apis: int
    online: int
    degraded: int
    offline: int
    avg_response_time_ms: float
    last_update: _timestamp_pb2.Timestamp
    system_health: str
    def __init__(self, total_apis: _Optional[int] = ..., online: _Optional[int] = ..., degraded: _Optional[int] = ..., offline: _Optional[int] = ..., avg_response_time_ms: _Optional[float] = ..., last_update: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., system_health: _Optional[str] = ...) -> None: ...

class GetMetricsHistoryRequest(_message.Message):
    __slots__ = ("hours",)
    HOURS_FIELD_NUMBER: _ClassVar[int]
    hours: int
    def __init__(self, hours: _Optional[int] = ...) -> None: ...

class GetMetricsHistoryResponse(_message.Message):
    __slots__ = ("metrics",)
    METRICS_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[_providers_pb2.SystemMetrics]
    def __init__(self, metrics: _Optional[_Iterable[_Union[_providers_pb2.SystemMetrics, _Mapping]]] = ...) -> None: ...

class ListRateLimitsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRateLimitsResponse(_message.Message):
    __slots__ = ("rate_limits",)
    RATE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    rate_limits: _containers.RepeatedCompositeFieldContainer[_providers_pb2.RateLimitStatus]
    def __init__(self, rate_limits: _Optional[_Iterable[_Union[_providers_pb2.RateLimitStatus, _Mapping]]] = ...) -> None: ...

class GetRateLimitRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class GetRateLimitResponse(_message.Message):
    __slots__ = ("rate_limit",)
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    rate_limit: _providers_pb2.RateLimitStatus
    def __init__(self, rate_limit: _Optional[_Union[_providers_pb2.RateLimitStatus, _Mapping]] = ...) -> None: ...

class ListLogsRequest(_message.Message):
    __slots__ = ("log_type", "hours", "limit", "provider")
    LOG_TYPE_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    log_type: str
    hours: int
    limit: int
    provider: str
    def __init__(self, log_type: _Optional[str] = ..., hours: _Optional[int] = ..., limit: _Optional[int] = ..., provider: _Optional[str] = ...) -> None: ...

class ListLogsResponse(_message.Message):
    __slots__ = ("log_type", "logs", "count")
    LOG_TYPE_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    log_type: str
    logs: _containers.RepeatedCompositeFieldContainer[_providers_pb2.LogEntry]
    count: int
    def __init__(self, log_type: _Optional[str] = ..., logs: _Optional[_Iterable[_Union[_providers_pb2.LogEntry, _Mapping]]] = ..., count: _Optional[int] = ...) -> None: ...

class GetSchedulerStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSchedulerStatusResponse(_message.Message):
    __slots__ = ("running", "jobs", "total_jobs")
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_JOBS_FIELD_NUMBER: _ClassVar[int]
    running: bool
    jobs: _containers.RepeatedCompositeFieldContainer[_providers_pb2.SchedulerJob]
    total_jobs: int
    def __init__(self, running: _Optional[bool] = ..., jobs: _Optional[_Iterable[_Union[_providers_pb2.SchedulerJob, _Mapping]]] = ..., total_jobs: _Optional[int] = ...) -> None: ...

class TriggerJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TriggerJobResponse(_message.Message):
    __slots__ = ("job_id", "status", "message", "triggered_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: str
    message: str
    triggered_at: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[str] = ..., message: _Optional[str] = ..., triggered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDatabaseStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDatabaseStatsResponse(_message.Message):
    __slots__ = ("tables", "total_rows", "database_size_bytes", "database_size_mb", "engine", "oldest_record_at", "newest_record_at")
    TABLES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROWS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DATABASE_SIZE_MB_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    OLDEST_RECORD_AT_FIELD_NUMBER: _ClassVar[int]
    NEWEST_RECORD_AT_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedCompositeFieldContainer[_providers_pb2.TableStats]
    total_rows: int
    database_size_bytes: int
    database_size_mb: float
    engine: str
    oldest_record_at: _timestamp_pb2.Timestamp
    newest_record_at: _timestamp_pb2.Timestamp
    def __init__(self, tables: _Optional[_Iterable[_Union[_providers_pb2.TableStats, _Mapping]]] = ..., total_rows: _Optional[int] = ..., database_size_bytes: _Optional[int] = ..., database_size_mb: _Optional[float] = ..., engine: _Optional[str] = ..., oldest_record_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_record_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDatabaseHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDatabaseHealthResponse(_message.Message):
    __slots__ = ("status", "latency_ms", "engine", "version", "error", "checked_at")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    status: str
    latency_ms: float
    engine: str
    version: str
    error: str
    checked_at: _timestamp_pb2.Timestamp
    def __init__(self, status: _Optional[str] = ..., latency_ms: _Optional[float] = ..., engine: _Optional[str] = ..., version: _Optional[str] = ..., error: _Optional[str] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetFailureAnalyticsRequest(_message.Message):
    __slots__ = ("hours",)
    HOURS_FIELD_NUMBER: _ClassVar[int]
    hours: int
    def __init__(self, hours: _Optional[int] = ...) -> None: ...

class GetFailureAnalyticsResponse(_message.Message):
    __slots__ = ("hours", "total_failures", "error_type_distribution", "top_failing_providers", "recent_failures", "remediation_suggestions", "recent_outages")
    HOURS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FAILURES_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_DISTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    TOP_FAILING_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    RECENT_FAILURES_FIELD_NUMBER: _ClassVar[int]
    REMEDIATION_SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    RECENT_OUTAGES_FIELD_NUMBER: _ClassVar[int]
    hours: int
    total_failures: int
    error_type_distribution: _containers.RepeatedCompositeFieldContainer[_providers_pb2.ErrorTypeCount]
    top_failing_providers: _containers.RepeatedCompositeFieldContainer[_providers_pb2.ProviderFailureCount]
    recent_failures: _containers.RepeatedCompositeFieldContainer[_providers_pb2.LogEntry]
    remediation_suggestions: _containers.RepeatedCompositeFieldContainer[_providers_pb2.RemediationSuggestion]
    recent_outages: _containers.RepeatedCompositeFieldContainer[Outage]
    def __init__(self, hours: _Optional[int] = ..., total_failures: _Optional[int] = ..., error_type_distribution: _Optional[_Iterable[_Union[_providers_pb2.ErrorTypeCount, _Mapping]]] = ..., top_failing_providers: _Optional[_Iterable[_Union[_providers_pb2.ProviderFailureCount, _Mapping]]] = ..., recent_failures: _Optional[_Iterable[_Union[_providers_pb2.LogEntry, _Mapping]]] = ..., remediation_suggestions: _Optional[_Iterable[_Union[_providers_pb2.RemediationSuggestion, _Mapping]]] = ..., recent_outages: _Optional[_Iterable[_Union[Outage, _Mapping]]] = ...) -> None: ...

class Outage(_message.Message):
    __slots__ = ("provider", "started_at", "ended_at", "duration_seconds", "previous_status")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    duration_seconds: float
    previous_status: str
    def __init__(self, provider: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_seconds: _Optional[float] = ..., previous_status: _Optional[str] = ...) -> None: ...

class GetConfigStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConfigStatsResponse(_message.Message):
    __slots__ = ("total_providers", "categories", "providers_requiring_key", "providers_with_key", "providers_with_rate_limit", "scheduler_jobs", "health_check_interval_seconds", "settings")
    class SettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TOTAL_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_REQUIRING_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_WITH_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_WITH_RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULER_JOBS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    total_providers: int
    categories: _containers.RepeatedCompositeFieldContainer[_providers_pb2.CategoryCount]
    providers_requiring_key: int
    providers_with_key: int
    providers_with_rate_limit: int
    scheduler_jobs: int
    health_check_interval_seconds: int
    settings: _containers.ScalarMap[str, str]
    def __init__(self, total_providers: _Optional[int] = ..., categories: _Optional[_Iterable[_Union[_providers_pb2.CategoryCount, _Mapping]]] = ..., providers_requiring_key: _Optional[int] = ..., providers_with_key: _Optional[int] = ..., providers_with_rate_limit: _Optional[int] = ..., scheduler_jobs: _Optional[int] = ..., health_check_interval_seconds: _Optional[int] = ..., settings: _Optional[_Mapping[str, str]] = ...) -> None: ...
