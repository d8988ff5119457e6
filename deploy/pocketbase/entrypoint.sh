#!/bin/sh
# First start: migrate and create the admin the service signs in as (POCKETBASE_EMAIL / POCKETBASE_PASSWORD).
# `admin create` says so and exits 0 when the admin exists already, so this is safe on every start.
set -e
if [ -n "$POCKETBASE_EMAIL" ] && [ -n "$POCKETBASE_PASSWORD" ]; then
  pocketbase migrate up --dir /pb/pb_data >/dev/null
  pocketbase admin create "$POCKETBASE_EMAIL" "$POCKETBASE_PASSWORD" --dir /pb/pb_data >/dev/null 2>&1 || true
fi
exec pocketbase "$@"
