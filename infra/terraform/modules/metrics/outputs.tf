output "namespace" {
  description = "CloudWatch namespace of the platform's metrics."
  value       = local.namespace
}

output "metrics_log_group_name" {
  description = "Log group of the EMF events (every scraped series, queryable with Logs Insights)."
  value       = aws_cloudwatch_log_group.metrics.name
}

output "service_name" {
  description = "Name of the metrics agent's ECS service (running-task alarm)."
  value       = aws_ecs_service.agent.name
}
