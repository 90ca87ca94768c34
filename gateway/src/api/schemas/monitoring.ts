import { z } from 'zod';
import { int64, timestamp } from './common';

// Seed 004 (crypto API monitoring) shapes; field names as in providers.proto.

export const RateLimitStatus = z
  .object({
    provider: z.string(),
    limit_type: z.string(),
    limit_value: z.number().int(),
    current_usage: z.number().int(),
    percentage: z.number(),
    reset_time: timestamp,
    reset_in_seconds: z.number().int(),
    status: z.string(),
  })
  .meta({ id: 'RateLimitStatus' });

export const Provider = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    status: z.string(),
    response_time_ms: z.number(),
    rate_limit: RateLimitStatus.nullable().default(null),
    last_fetch: timestamp,
    has_key: z.boolean(),
    api_key_masked: z.string(),
    endpoint: z.string(),
    last_error: z.string(),
    check_interval_seconds: z.number().int(),
  })
  .meta({ id: 'Provider' });

export const ProviderList = z.object({ providers: z.array(Provider), total: z.number().int() }).meta({ id: 'ProviderList' });

export const ProviderStats = z
  .object({
    provider: z.string(),
    hours: z.number().int(),
    total_requests: z.number().int(),
    successful_requests: z.number().int(),
    failed_requests: z.number().int(),
    rate_limited_requests: z.number().int(),
    success_rate: z.number(),
    uptime_percentage: z.number(),
    avg_response_time_ms: z.number(),
    min_response_time_ms: z.number(),
    max_response_time_ms: z.number(),
    p95_response_time_ms: z.number(),
    data_collections: z.number().int(),
    last_success_at: timestamp,
    last_failure_at: timestamp,
    last_error: z.string(),
  })
  .meta({ id: 'ProviderStats' });

export const SystemStatus = z
  .object({
    total_apis: z.number().int(),
    online: z.number().int(),
    degraded: z.number().int(),
    offline: z.number().int(),
    avg_response_time_ms: z.number(),
    last_update: timestamp,
    system_health: z.string(),
  })
  .meta({ id: 'SystemStatus' });

const ProcessMetrics = z
  .object({
    pid: z.number().int(),
    uptime_seconds: int64,
    cpu_percent: z.number(),
    rss_bytes: int64,
    heap_used_bytes: int64,
    heap_total_bytes: int64,
    event_loop_delay_p99_ms: z.number(),
    active_handles: z.number().int(),
  })
  .meta({ id: 'ProcessMetrics' });

const HostMetrics = z
  .object({
    hostname: z.string(),
    platform: z.string(),
    cpus: z.number().int(),
    load_average: z.array(z.number()),
    memory_total_bytes: int64,
    memory_free_bytes: int64,
    memory_used_percent: z.number(),
    uptime_seconds: int64,
  })
  .meta({ id: 'HostMetrics' });

export const SystemMetrics = z
  .object({
    total_providers: z.number().int(),
    online_count: z.number().int(),
    degraded_count: z.number().int(),
    offline_count: z.number().int(),
    avg_response_time_ms: z.number(),
    total_requests_hour: z.number().int(),
    total_failures_hour: z.number().int(),
    system_health: z.string(),
    timestamp: timestamp,
    process: ProcessMetrics.nullable().default(null),
    host: HostMetrics.nullable().default(null),
  })
  .meta({ id: 'SystemMetrics' });

export const MetricsHistory = z.object({ metrics: z.array(SystemMetrics), count: z.number().int() }).meta({ id: 'MetricsHistory' });

export const RateLimitList = z.object({ rate_limits: z.array(RateLimitStatus), total: z.number().int() }).meta({ id: 'RateLimitList' });

export const LOG_TYPES = ['connection', 'failure', 'collection', 'rate_limit'] as const;

export const LogEntry = z
  .object({
    id: z.string(),
    log_type: z.string(),
    timestamp: timestamp,
    provider: z.string(),
    endpoint: z.string(),
    status: z.string(),
    response_time_ms: z.number(),
    http_status_code: z.number().int(),
    error_type: z.string(),
    error_message: z.string(),
    retry_count: z.number().int(),
    retry_result: z.string(),
    category: z.string(),
    record_count: z.number().int(),
    staleness_minutes: z.number(),
    data_timestamp: timestamp,
    limit_type: z.string(),
    limit_value: z.number().int(),
    current_usage: z.number().int(),
    percentage: z.number(),
  })
  .meta({ id: 'LogEntry' });

export const LogList = z.object({ log_type: z.string(), logs: z.array(LogEntry), count: z.number().int() }).meta({ id: 'LogList' });

export const SchedulerJob = z
  .object({
    id: z.string(),
    name: z.string(),
    trigger: z.string(),
    interval_seconds: z.number().int(),
    next_run_time: timestamp,
    last_run_time: timestamp,
    last_status: z.string(),
    last_error: z.string(),
    run_count: z.number().int(),
    paused: z.boolean(),
  })
  .meta({ id: 'SchedulerJob' });

export const SchedulerStatus = z
  .object({ running: z.boolean(), jobs: z.array(SchedulerJob), total_jobs: z.number().int() })
  .meta({ id: 'SchedulerStatus' });

export const JobTriggered = z
  .object({ job_id: z.string(), status: z.string(), message: z.string(), triggered_at: timestamp })
  .meta({ id: 'JobTriggered' });

export const DatabaseStats = z
  .object({
    tables: z.array(z.object({ name: z.string(), row_count: int64, size_bytes: int64 })),
    total_rows: int64,
    database_size_bytes: int64,
    database_size_mb: z.number(),
    engine: z.string(),
    oldest_record_at: timestamp,
    newest_record_at: timestamp,
  })
  .meta({ id: 'DatabaseStats' });

export const DatabaseHealth = z
  .object({
    status: z.string(),
    latency_ms: z.number(),
    engine: z.string(),
    version: z.string(),
    error: z.string(),
    checked_at: timestamp,
  })
  .meta({ id: 'DatabaseHealth' });

export const FailureAnalytics = z
  .object({
    hours: z.number().int(),
    total_failures: z.number().int(),
    error_type_distribution: z.array(z.object({ error_type: z.string(), count: z.number().int(), percentage: z.number() })),
    top_failing_providers: z.array(z.object({ provider: z.string(), failure_count: z.number().int(), failure_rate: z.number() })),
    recent_failures: z.array(LogEntry),
    remediation_suggestions: z.array(z.object({ issue: z.string(), suggestion: z.string(), priority: z.string(), provider: z.string() })),
    recent_outages: z.array(
      z.object({
        provider: z.string(),
        started_at: timestamp,
        ended_at: timestamp,
        duration_seconds: z.number(),
        previous_status: z.string(),
      }),
    ),
  })
  .meta({ id: 'FailureAnalytics' });

export const ConfigStats = z
  .object({
    total_providers: z.number().int(),
    categories: z.array(z.object({ category: z.string(), count: z.number().int() })),
    providers_requiring_key: z.number().int(),
    providers_with_key: z.number().int(),
    providers_with_rate_limit: z.number().int(),
    scheduler_jobs: z.number().int(),
    health_check_interval_seconds: z.number().int(),
    settings: z.record(z.string(), z.string()),
  })
  .meta({ id: 'ConfigStats' });
