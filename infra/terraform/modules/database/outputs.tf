output "instance_id" {
  description = "RDS instance identifier (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.main.identifier
}

output "address" {
  description = "Host name of the primary."
  value       = aws_db_instance.main.address
}

output "database_url_secret_arn" {
  description = "ARN of the DATABASE_URL secret."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "allocated_storage_gb" {
  description = "Initial storage in GiB (the free-storage alarm is a share of it)."
  value       = aws_db_instance.main.allocated_storage
}
