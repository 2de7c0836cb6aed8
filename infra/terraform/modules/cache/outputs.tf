output "replication_group_id" {
  description = "Replication group ID (CloudWatch dimension of the memory alarm)."
  value       = aws_elasticache_replication_group.main.id
}

# Built from the naming rule (<group>-001, -002, …) rather than read from the resource, so that
# the alarms' for_each keys are known at plan time on the first apply.
output "member_clusters" {
  description = "Cache cluster IDs of the primary and replicas (CacheClusterId dimension)."
  value       = [for index in range(var.replicas + 1) : format("%s-%03d", var.name, index + 1)]
}

output "redis_url_secret_arn" {
  description = "ARN of the REDIS_URL secret."
  value       = aws_secretsmanager_secret.redis_url.arn
}
