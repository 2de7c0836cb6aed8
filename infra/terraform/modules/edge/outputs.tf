output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.main.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.main.dns_name
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}

output "target_group_arns" {
  description = "Target group ARN of the web and lane services."
  value       = { web = aws_lb_target_group.web.arn, lane = aws_lb_target_group.lane.arn }
}

output "target_group_arn_suffixes" {
  description = "Target group ARN suffixes (CloudWatch dimension TargetGroup)."
  value       = { web = aws_lb_target_group.web.arn_suffix, lane = aws_lb_target_group.lane.arn_suffix }
}

output "static_distribution_domain" {
  description = "CloudFront domain name of the static-files distribution."
  value       = aws_cloudfront_distribution.static.domain_name
}
