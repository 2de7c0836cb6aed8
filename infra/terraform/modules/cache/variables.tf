variable "name" {
  description = "Replication group ID and prefix of its companions."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the cache subnet group."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "Security group of the tasks allowed to connect."
  type        = string
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "replicas" {
  description = "Read replicas besides the primary (at least 1: automatic failover needs one)."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 1
    error_message = "At least one replica: it is what keeps the click stream through a node loss."
  }
}

variable "kms_key_arn" {
  description = "KMS key for data at rest, the slow log and the URL secret."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the slow-log group."
  type        = number
}
