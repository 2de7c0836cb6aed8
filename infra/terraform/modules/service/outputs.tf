output "service_name" {
  description = "Name of the ECS service (CloudWatch dimension ServiceName)."
  value       = aws_ecs_service.service.name
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the process."
  value       = aws_cloudwatch_log_group.service.name
}
