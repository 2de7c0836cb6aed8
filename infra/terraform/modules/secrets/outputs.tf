output "kms_key_arn" {
  description = "ARN of the platform's KMS key."
  value       = aws_kms_key.platform.arn
}

output "secret_key_arn" {
  description = "ARN of the Django SECRET_KEY secret."
  value       = aws_secretsmanager_secret.secret_key.arn
}

output "external_secret_arns" {
  description = "Environment variable name => ARN of each operator-managed secret."
  value       = { for name, secret in aws_secretsmanager_secret.external : name => secret.arn }
}

output "metrics_token_arn" {
  description = "ARN of the METRICS_TOKEN secret."
  value       = aws_secretsmanager_secret.metrics_token.arn
}

output "metrics_token" {
  description = "The METRICS_TOKEN value, for the metrics agent's scrape configuration (itself a secret)."
  value       = random_password.metrics_token.result
  sensitive   = true
}
