variable "name" {
  description = "Identifier of the instance and prefix of its companions."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the DB subnet group (two zones at least, for Multi-AZ)."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "Security group of the tasks allowed to connect."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
}

variable "max_storage_gb" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
}

variable "backup_retention_days" {
  description = "Automated backup retention (the PITR window), in days."
  type        = number
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the URL secret."
  type        = string
}

variable "pooler_port" {
  description = "Port of the PgBouncer sidecar on each task's loopback (the pooled DATABASE_URL)."
  type        = number
  default     = 6432
}
