output "alb_dns_name" {
  description = "DNS name of the load balancer of the root domain and the brand subdomains."
  value       = module.edge.alb_dns_name
}

output "https_listener_arn" {
  description = "HTTPS listener of the ALB (custom domains do not need it: they go through custom_domain_endpoint)."
  value       = module.edge.https_listener_arn
}

output "static_distribution_domain" {
  description = "CloudFront domain of the static-files distribution (static_domain is an alias of it)."
  value       = module.edge.static_distribution_domain
}

output "media_bucket_name" {
  description = "Bucket of uploads and invoices (AWS_STORAGE_BUCKET_NAME of every process)."
  value       = module.storage.media_bucket_name
}

output "database_address" {
  description = "Host name of the PostgreSQL primary."
  value       = module.database.address
}

output "ecs_cluster_name" {
  description = "ECS cluster running the five services; run the release step as a one-off task here."
  value       = aws_ecs_cluster.main.name
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks (the release step)."
  value       = module.network.private_subnet_ids
}

output "tasks_security_group_id" {
  description = "Security group for one-off tasks (the release step)."
  value       = module.network.tasks_security_group_id
}

output "secret_arns" {
  description = "Secrets the processes read; set the values of STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET before the first deploy."
  value       = local.secrets
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms."
  value       = module.monitoring.alarm_topic_arn
}

output "custom_domain_endpoint" {
  description = "Host brands' custom domains point at with a CNAME (shown to brand admins as CUSTOM_DOMAIN_CNAME_TARGET)."
  value       = module.custom_domains.endpoint
}

output "custom_domain_static_ips" {
  description = "Static addresses of the custom-domain load balancer, for apex domains (A records)."
  value       = module.custom_domains.static_ips
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the platform's Prometheus metrics (drain lag, queues, failures)."
  value       = module.metrics.namespace
}
