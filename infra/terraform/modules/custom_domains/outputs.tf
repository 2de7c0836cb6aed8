output "endpoint" {
  description = "Host a brand's customer points their custom domain at (CNAME): CUSTOM_DOMAIN_CNAME_TARGET."
  value       = aws_route53_record.endpoint.fqdn
}

output "static_ips" {
  description = "The load balancer's static addresses, for an apex domain (A records) where a CNAME is impossible."
  value       = aws_eip.nlb[*].public_ip
}

output "registry_arns" {
  description = "Cloud Map service ARNs the web and lane ECS services register their tasks in."
  value       = { for name, service in aws_service_discovery_service.upstream : name => service.arn }
}

output "certificate_table_name" {
  description = "DynamoDB table of Caddy's certificates, keys and ACME locks."
  value       = aws_dynamodb_table.certificates.name
}

output "load_balancer_arn_suffix" {
  description = "ARN suffix of the network load balancer (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.custom_domains.arn_suffix
}

output "service_name" {
  description = "Name of the Caddy ECS service (running-task alarm)."
  value       = aws_ecs_service.caddy.name
}

output "min_tasks" {
  description = "Minimum number of Caddy tasks (running-task alarm threshold)."
  value       = var.min_tasks
}
