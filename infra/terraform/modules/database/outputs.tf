output "instance_id" {
  description = "RDS instance identifier (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.main.identifier
}

output "address" {
  description = "Host name of the primary."
  value       = aws_db_instance.main.address
}

output "database_url_secret_arn" {
  description = "ARN of the direct DATABASE_URL secret (DATABASE_DIRECT_URL: the release step)."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "allocated_storage_gb" {
  description = "Initial storage in GiB (the free-storage alarm is a share of it)."
  value       = aws_db_instance.main.allocated_storage
}

output "pooled_url_secret_arn" {
  description = "ARN of the pooled DATABASE_URL secret (the task's PgBouncer on 127.0.0.1)."
  value       = aws_secretsmanager_secret.pooled_url.arn
}

output "password_secret_arn" {
  description = "ARN of the secret holding the database password alone (PgBouncer's login)."
  value       = aws_secretsmanager_secret.password.arn
}

output "connection" {
  description = "Host, port, database name and user of the server (PgBouncer's upstream)."
  value = {
    host     = aws_db_instance.main.address
    port     = aws_db_instance.main.port
    database = aws_db_instance.main.db_name
    username = aws_db_instance.main.username
  }
}
