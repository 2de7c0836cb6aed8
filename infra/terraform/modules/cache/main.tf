# Redis on ElastiCache: cache, channel layer, Celery broker and the click stream (clicks in flight).
#
# Durability: ElastiCache does not offer AOF on Redis 7 (AWS replaced it by replication), so a
# primary and a replica in another zone with automatic failover keep the stream through a node
# loss, with daily snapshots on top. `noeviction`: the click stream must never be evicted to
# make room for cache entries; the memory alarm warns long before writes are refused.
# Encrypted at rest (platform key) and in transit (TLS, AUTH token).

resource "aws_elasticache_subnet_group" "main" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "cache" {
  name        = "${var.name}-cache"
  description = "Redis, reachable from the platform's tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_tasks" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis TLS from the ECS tasks"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_parameter_group" "redis7" {
  name        = "${var.name}-redis7"
  family      = "redis7"
  description = "Redis 7 for the affiliate platform: never evict (the click stream lives here)"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "random_password" "auth" {
  length  = 64
  special = false
}

resource "aws_cloudwatch_log_group" "slow_log" {
  name              = "/${var.name}/redis-slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id = var.name
  description          = "Redis of the affiliate platform"
  engine               = "redis"
  engine_version       = "7.1"
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.redis7.name

  num_cache_clusters         = var.replicas + 1
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.cache.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.auth.result

  snapshot_retention_limit   = 7
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:04:30-sun:05:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}

# REDIS_URL as the processes read it: TLS, AUTH token, certificate verified.
resource "aws_secretsmanager_secret" "redis_url" {
  #checkov:skip=CKV2_AWS_57:The URL embeds the AUTH token set by Terraform; rotate it with a new random_password (ElastiCache accepts two tokens during the change) and a deploy, not a Lambda.
  name                    = "${var.name}/redis-url"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id     = aws_secretsmanager_secret.redis_url.id
  secret_string = "rediss://:${random_password.auth.result}@${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0?ssl_cert_reqs=required"
}
