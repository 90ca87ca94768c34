#!/usr/bin/env bash
# Starts Kafka, PostgreSQL and Zipkin (each idempotent). Needs `bash infra/install.sh` first.
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$dir/kafka/start.sh"
bash "$dir/postgres/start.sh"
bash "$dir/zipkin/start.sh"
