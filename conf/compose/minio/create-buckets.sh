#!/bin/sh
# One-shot MinIO bootstrap for the Lakecast compose stack (service minio-init, image minio/mc).
# Idempotent: creates the warehouse and mlflow buckets and the scoped S3 service account that every
# other service uses, then exits 0. Root credentials stay inside this container.
set -eu

: "${MINIO_ENDPOINT:?}" "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
: "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}" "${WAREHOUSE_BUCKET:?}" "${MLFLOW_BUCKET:?}" "${POLICY_FILE:?}"

alias_name=lakecast
policy_name=lakecast-rw

mc alias set "$alias_name" "$MINIO_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

for bucket in "$WAREHOUSE_BUCKET" "$MLFLOW_BUCKET"; do
  mc mb --ignore-existing "$alias_name/$bucket"
done

# `policy create` overwrites, `user add` updates the secret: both safe to repeat.
mc admin policy create "$alias_name" "$policy_name" "$POLICY_FILE"
mc admin user add "$alias_name" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"

# Attaching an already attached policy is an error in mc; only that case is tolerated.
if ! out=$(mc admin policy attach "$alias_name" "$policy_name" --user "$S3_ACCESS_KEY" 2>&1); then
  case "$out" in
    *"already in effect"*) echo "policy $policy_name already attached to $S3_ACCESS_KEY" ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
fi

echo "minio-init: buckets $WAREHOUSE_BUCKET, $MLFLOW_BUCKET and user $S3_ACCESS_KEY ready"
