# PostgreSQL 16 on RDS: Multi-AZ, point-in-time recovery (automated backups), encrypted with the
# platform key, TLS required, one schema per brand (django-tenants) in one database.

resource "aws_db_subnet_group" "main" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "PostgreSQL, reachable from the platform's tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_tasks" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the ECS tasks"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_parameter_group" "postgres16" {
  name        = "${var.name}-postgres16"
  family      = "postgres16"
  description = "PostgreSQL 16 for the affiliate platform"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Statements slower than this are logged (clicks are drained in batches: a slow batch shows here).
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  # A migration holding a lock must not stall the click drain and every request for long.
  parameter {
    name  = "lock_timeout"
    value = "30000"
  }

  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = "60000"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "random_password" "master" {
  length  = 40
  special = false
}

resource "aws_db_instance" "main" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = "16"
  instance_class = var.instance_class
  db_name        = "afp"
  username       = "afp"
  password       = random_password.master.result
  port           = 5432

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.database.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.postgres16.name

  # Point-in-time recovery over the retention window; a final snapshot on deletion.
  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"

  auto_minor_version_upgrade            = true
  iam_database_authentication_enabled   = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
}

# DATABASE_URL as the processes read it (config.env): TLS required.
resource "aws_secretsmanager_secret" "database_url" {
  #checkov:skip=CKV2_AWS_57:The URL embeds the master password set by Terraform; rotate it with a new random_password and a deploy (README), not a Lambda that would desynchronise the URL.
  name                    = "${var.name}/database-url"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgresql://afp:${random_password.master.result}@${aws_db_instance.main.address}:${aws_db_instance.main.port}/afp?sslmode=require"
}

# The processes' DATABASE_URL: their task's PgBouncer sidecar (modules/service) on the loopback,
# in transaction pooling mode; PgBouncer itself speaks TLS to RDS. The URL above stays the direct
# one (DATABASE_DIRECT_URL): the release step migrates on it.
resource "aws_secretsmanager_secret" "pooled_url" {
  #checkov:skip=CKV2_AWS_57:Same master password as database-url, set by Terraform; rotated with it by a new random_password and a deploy.
  name                    = "${var.name}/database-pooled-url"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "pooled_url" {
  secret_id     = aws_secretsmanager_secret.pooled_url.id
  secret_string = "postgresql://afp:${random_password.master.result}@127.0.0.1:${var.pooler_port}/afp?sslmode=disable"
}

# The password alone, for the PgBouncer sidecar (its userlist and its login to RDS).
resource "aws_secretsmanager_secret" "password" {
  #checkov:skip=CKV2_AWS_57:The master password set by Terraform; rotated by a new random_password and a deploy, with the two URL secrets.
  name                    = "${var.name}/database-password"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "password" {
  secret_id     = aws_secretsmanager_secret.password.id
  secret_string = random_password.master.result
}
