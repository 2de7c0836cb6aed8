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
