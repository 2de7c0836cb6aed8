# Alarms to an SNS topic: 5xx rate and response time at the load balancer, database CPU and free
# storage, Redis memory, running task counts of every service, and the platform's own metrics
# (click drain lag, dead letters, Celery queue length and task failures, failing outbox events).

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  actions = [aws_sns_topic.alarms.arn]
}

# Share of requests answered 5xx by the targets (or the load balancer itself), over 5 minutes.
resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  alarm_name          = "${var.name}-http-5xx-rate"
  alarm_description   = "More than ${var.error_rate_percent}% of requests answered 5xx for 10 minutes"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_percent
  evaluation_periods  = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target5xx, 0) + FILL(lb5xx, 0)) / requests"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "lb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }
}

# p95 response time per target group (web and lane have different budgets).
resource "aws_cloudwatch_metric_alarm" "response_time" {
  for_each            = var.target_groups
  alarm_name          = "${var.name}-${each.key}-p95-response-time"
  alarm_description   = "p95 target response time of ${each.key} above ${each.value.p95_seconds} s for 15 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value.arn_suffix }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.p95_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  for_each            = var.target_groups
  alarm_name          = "${var.name}-${each.key}-unhealthy-targets"
  alarm_description   = "${each.key} has targets failing their health check"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value.arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "rds_cpu" {
  alarm_name          = "${var.name}-rds-cpu"
  alarm_description   = "Database CPU above 80% for 15 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "rds_free_storage" {
  alarm_name          = "${var.name}-rds-free-storage"
  alarm_description   = "Database free storage below 10% of its initial allocation"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.db_allocated_storage_gb * 1073741824 * 0.1
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# noeviction: a full Redis refuses writes (clicks fall back to files, tasks are not queued).
resource "aws_cloudwatch_metric_alarm" "redis_memory" {
  for_each            = toset(var.cache_cluster_ids)
  alarm_name          = "${var.name}-redis-memory-${each.value}"
  alarm_description   = "Redis memory above 75%: the click drain may be behind, or the cache too big"
  namespace           = "AWS/ElastiCache"
  metric_name         = "DatabaseMemoryUsagePercentage"
  dimensions          = { CacheClusterId = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 75
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Fewer running tasks than the service's minimum (crash loop, failed deploy, capacity).
resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  for_each            = var.services
  alarm_name          = "${var.name}-${each.key}-running-tasks"
  alarm_description   = "${each.key} runs fewer than ${each.value.min} task(s)"
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = { ClusterName = var.cluster_name, ServiceName = each.value.service_name }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = each.value.min
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# --- the platform's own metrics (Prometheus, published by modules/metrics) --------------------------
# Gauges read at scrape time are the same on every web task: the alarms take the maximum. A metric
# that stops arriving (agent or web down) is left to the running-task alarms, not treated as bad.

locals {
  web_family    = { ClusterName = var.cluster_name, TaskDefinitionFamily = "${var.cluster_name}-web" }
  worker_family = { ClusterName = var.cluster_name, TaskDefinitionFamily = "${var.cluster_name}-worker" }
  platform_alarms = {
    click-drain-lag = {
      metric = "afp_click_drain_lag_seconds", dimensions = local.web_family, statistic = "Maximum"
      threshold = var.platform_thresholds.drain_lag_seconds, periods = 5, period = 60
      description = "The oldest click not yet in Postgres is older than ${var.platform_thresholds.drain_lag_seconds} s for 5 minutes: the drain is down or behind (README, Operations)"
    }
    click-dead-letters = {
      metric = "afp_click_dead_letters", dimensions = local.web_family, statistic = "Maximum"
      threshold = var.platform_thresholds.dead_letters, periods = 1, period = 60
      description = "Clicks the drain could not store wait in the dead-letter stream"
    }
    celery-queue-length = {
      metric = "afp_celery_queue_length", dimensions = local.web_family, statistic = "Maximum"
      threshold = var.platform_thresholds.queue_length, periods = 10, period = 60
      description = "A Celery queue holds more than ${var.platform_thresholds.queue_length} messages for 10 minutes: workers are down or too few"
    }
    celery-task-failures = {
      metric = "afp_celery_task_failures_total", dimensions = local.worker_family, statistic = "Sum"
      threshold = var.platform_thresholds.task_failures_per_5_minutes, periods = 1, period = 300
      description = "More than ${var.platform_thresholds.task_failures_per_5_minutes} Celery task failures in 5 minutes"
    }
    outbox-failing-events = {
      metric = "afp_outbox_failing_events", dimensions = local.web_family, statistic = "Maximum"
      threshold = var.platform_thresholds.outbox_failing_events, periods = 15, period = 60
      description = "A brand has domain events whose after-commit handlers keep failing (afp_outbox_failing_events{schema} in the metrics log group names it)"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "platform" {
  for_each            = local.platform_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.metrics_namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
