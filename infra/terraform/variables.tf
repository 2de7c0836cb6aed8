variable "project" {
  description = "Short name used as a prefix of every resource name."
  type        = string
  default     = "afp"
}

variable "environment" {
  description = "Environment name (production, staging); part of every resource name."
  type        = string
  default     = "production"
}

variable "region" {
  description = "AWS region of everything except the CloudFront certificate (us-east-1)."
  type        = string
  default     = "eu-west-3"
}

variable "root_domain" {
  description = "The operator console's host (ROOT_DOMAIN); brands are served on <subdomain>.<root_domain>."
  type        = string
}

variable "hosted_zone_id" {
  description = "Route 53 public hosted zone of root_domain (created outside this stack: it outlives environments)."
  type        = string
}

variable "static_domain" {
  description = "Host of the CloudFront distribution in front of /static/ (e.g. static.example.com)."
  type        = string
}

variable "image" {
  description = "Container image (registry/repository:tag or @digest) built from the repository's Dockerfile."
  type        = string
}

variable "pgbouncer_image" {
  description = "Container image of the PgBouncer sidecar, built from infra/docker/pgbouncer (Debian's pgbouncer)."
  type        = string
}

variable "pgbouncer_pool_sizes" {
  description = <<-EOT
    Server connections of one task's PgBouncer, per process type (keys: web, lane, worker, beat,
    drain). RDS sees at most the sum over process types of pool size x maximum tasks (services):
    238 with the defaults, under db.m7g.large's max_connections (about 900).
  EOT
  type = map(number)
  default = {
    web    = 10
    lane   = 2
    worker = 8
    beat   = 2
    drain  = 4
  }

  validation {
    condition     = alltrue([for name in ["web", "lane", "worker", "beat", "drain"] : contains(keys(var.pgbouncer_pool_sizes), name)])
    error_message = "pgbouncer_pool_sizes must define web, lane, worker, beat and drain."
  }
}

variable "caddy_image" {
  description = "Image of the custom-domain proxy, built from infra/docker/caddy (Caddy with DynamoDB certificate storage)."
  type        = string
}

variable "acme_email" {
  description = "Contact address of the ACME account that issues brands' custom-domain certificates."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones to spread subnets, the database standby and cache replicas over (at least 2)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; split into public and private /20 subnets per zone."
  type        = string
  default     = "10.40.0.0/16"
}

variable "db_instance_class" {
  description = "RDS instance class of PostgreSQL 16."
  type        = string
  default     = "db.m7g.large"
}

variable "db_allocated_storage_gb" {
  description = "Initial storage of the database in GiB (grows automatically up to db_max_storage_gb)."
  type        = number
  default     = 100
}

variable "db_max_storage_gb" {
  description = "Ceiling of storage autoscaling, in GiB."
  type        = number
  default     = 1000
}

variable "db_backup_retention_days" {
  description = "Days of automated backups, i.e. the point-in-time-recovery window (1 to 35)."
  type        = number
  default     = 14
}

variable "cache_node_type" {
  description = "ElastiCache node type of Redis."
  type        = string
  default     = "cache.m7g.large"
}

variable "services" {
  description = <<-EOT
    Size and scaling of the five process types (keys: web, lane, worker, beat, drain): cpu and memory
    of a Fargate task, the desired, minimum and maximum number of tasks, and the average CPU
    utilisation autoscaling aims at. beat must stay at exactly one task.
  EOT
  type = map(object({
    cpu        = number
    memory     = number
    desired    = number
    min        = number
    max        = number
    cpu_target = number
  }))
  default = {
    web    = { cpu = 1024, memory = 2048, desired = 2, min = 2, max = 10, cpu_target = 60 }
    lane   = { cpu = 512, memory = 1024, desired = 2, min = 2, max = 20, cpu_target = 50 }
    worker = { cpu = 1024, memory = 2048, desired = 2, min = 1, max = 10, cpu_target = 70 }
    beat   = { cpu = 256, memory = 512, desired = 1, min = 1, max = 1, cpu_target = 80 }
    drain  = { cpu = 512, memory = 1024, desired = 1, min = 1, max = 4, cpu_target = 60 }
  }

  validation {
    condition     = alltrue([for name in ["web", "lane", "worker", "beat", "drain"] : contains(keys(var.services), name)])
    error_message = "services must define web, lane, worker, beat and drain."
  }

  validation {
    condition     = var.services["beat"].min == 1 && var.services["beat"].max == 1 && var.services["beat"].desired == 1
    error_message = "beat runs exactly one task: two would send every scheduled task twice."
  }
}

variable "app_environment" {
  description = "Extra plain environment variables of every process (see the README's Configuration table)."
  type        = map(string)
  default     = {}
}

variable "cloudwatch_agent_image" {
  description = "Image of the metrics agent (modules/metrics); pin a released tag of the CloudWatch agent."
  type        = string
  default     = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest"
}

variable "platform_alarm_thresholds" {
  description = <<-EOT
    Alarm thresholds on the platform's own metrics (modules/monitoring): drain_lag_seconds,
    dead_letters, queue_length, task_failures_per_5_minutes, outbox_failing_events.
  EOT
  type = object({
    drain_lag_seconds           = number
    dead_letters                = number
    queue_length                = number
    task_failures_per_5_minutes = number
    outbox_failing_events       = number
  })
  default = {
    drain_lag_seconds           = 300
    dead_letters                = 0
    queue_length                = 1000
    task_failures_per_5_minutes = 10
    outbox_failing_events       = 0
  }
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by email)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (containers, VPC flow logs)."
  type        = number
  default     = 365
}

variable "media_noncurrent_days" {
  description = "Days a replaced or deleted media/invoice object version is kept before expiry."
  type        = number
  default     = 90
}
