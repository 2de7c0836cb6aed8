variable "name" {
  description = "Prefix of alarm names and of the topic."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the alarm topic."
  type        = string
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the topic."
  type        = list(string)
}

variable "alb_arn_suffix" {
  description = "Load balancer dimension."
  type        = string
}

variable "error_rate_percent" {
  description = "5xx share of requests (percent) that raises the alarm."
  type        = number
  default     = 2
}

variable "target_groups" {
  description = "Name => target group ARN suffix and p95 response-time budget in seconds."
  type = map(object({
    arn_suffix  = string
    p95_seconds = number
  }))
}

variable "db_instance_id" {
  description = "RDS instance identifier."
  type        = string
}

variable "db_allocated_storage_gb" {
  description = "Database storage allocation in GiB."
  type        = number
}

variable "cache_cluster_ids" {
  description = "ElastiCache cluster IDs (primary and replicas)."
  type        = list(string)
}

variable "cluster_name" {
  description = "ECS cluster name."
  type        = string
}

variable "services" {
  description = "Process type => ECS service name and minimum task count."
  type = map(object({
    service_name = string
    min          = number
  }))
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the platform's Prometheus metrics (modules/metrics)."
  type        = string
}

variable "platform_thresholds" {
  description = <<-EOT
    Alarm thresholds on the platform's metrics: drain_lag_seconds (oldest undrained click, for 5
    minutes), dead_letters (clicks in the dead-letter stream), queue_length (messages in a Celery
    queue, for 10 minutes), task_failures_per_5_minutes, outbox_failing_events (per brand, for 15
    minutes). Each alarms when exceeded.
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
