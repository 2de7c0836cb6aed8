output "replication_group_id" {
  description = "Replication group ID (CloudWatch dimension of the memory alarm)."
  value       = aws_elasticache_replication_group.main.id
}

output "member_clusters" {
  description = "Cache cluster IDs of the primary and replicas (CacheClusterId dimension)."
  value       = aws_elasticache_replication_group.main.member_clusters
}

output "redis_url_secret_arn" {
  description = "ARN of the REDIS_URL secret."
  value       = aws_secretsmanager_secret.redis_url.arn
}
