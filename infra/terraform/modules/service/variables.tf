variable "process" {
  description = "Process type, as named in the Procfile (web, lane, worker, beat, drain): the container command."
  type        = string
}

variable "image" {
  description = "Container image of the platform."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster (also the prefix of roles and log groups)."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster."
  type        = string
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
}

variable "memory" {
  description = "Fargate task memory in MiB."
  type        = number
}

variable "desired" {
  description = "Number of tasks at creation (autoscaling adjusts it afterwards)."
  type        = number
}

variable "min" {
  description = "Minimum number of tasks."
  type        = number
}

variable "max" {
  description = "Maximum number of tasks."
  type        = number
}

variable "cpu_target" {
  description = "Average CPU utilisation (percent) the CPU policy keeps the service at."
  type        = number
}

variable "single_instance" {
  description = "Exactly one task, no autoscaling, stop before start on deploy (Celery beat)."
  type        = bool
  default     = false
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the tasks."
  type        = string
}

variable "container_port" {
  description = "Port the process listens on (PORT), or null for processes without HTTP."
  type        = number
  default     = null
}

variable "target_group_arn" {
  description = "Target group to register the tasks in, or null."
  type        = string
  default     = null
}

variable "alb_resource_label" {
  description = "app/<alb>/<id>/targetgroup/<tg>/<id>, for request-count scaling (with requests_per_target)."
  type        = string
  default     = null
}

variable "requests_per_target" {
  description = "Requests per task per minute the request policy aims at, or null for CPU scaling only."
  type        = number
  default     = null
}

variable "health_check_command" {
  description = "Container health check command (CMD form), or null."
  type        = list(string)
  default     = null
}

variable "environment" {
  description = "Plain environment variables."
  type        = map(string)
}

variable "secrets" {
  description = "Environment variable name => Secrets Manager ARN."
  type        = map(string)
}

variable "task_policy_json" {
  description = "IAM policy of the task role (what the application may call), or null."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key of the secrets and the log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the service's log group."
  type        = number
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL (Fargate allows 120 at most): longer than the process's graceful shutdown (README, Operations)."
  type        = number
  default     = 30
}

variable "pgbouncer" {
  description = <<-EOT
    The task's PgBouncer sidecar (infra/docker/pgbouncer): its image, the RDS server behind it
    (db_host, db_port, db_name, db_user; the password from password_secret_arn), the loopback
    port it listens on, and pool_size, its server connections (RDS connections of one task).
  EOT
  type = object({
    image               = string
    db_host             = string
    db_port             = number
    db_name             = string
    db_user             = string
    password_secret_arn = string
    port                = number
    pool_size           = number
  })
}

variable "service_registry_arn" {
  description = "Cloud Map service to register the tasks in (A records; web and lane, for the custom-domain proxy), or null."
  type        = string
  default     = null
}

variable "metrics_port" {
  description = "Port of the process's Prometheus /metrics (PORT for web and lane, METRICS_PORT for worker and drain), or null (beat)."
  type        = number
  default     = null
}
