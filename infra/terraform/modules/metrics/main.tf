# The platform's Prometheus metrics in CloudWatch: one CloudWatch agent task discovers the web,
# lane, worker and drain tasks by their Docker labels (ECS_PROMETHEUS_EXPORTER_PORT, set by
# modules/service), scrapes /metrics every minute with the METRICS_TOKEN bearer token, and
# publishes the series below as embedded metric format (EMF) log events, which CloudWatch turns
# into metrics of the namespace <name>/Platform (dimensions ClusterName, TaskDefinitionFamily,
# and queue for the Celery queues). Counters are sent as the increase since the previous scrape;
# histograms are dropped by the agent (the ALB measures latency). modules/monitoring alarms on them.

data "aws_region" "current" {}

locals {
  namespace      = "${var.name}/Platform"
  sd_result_file = "/tmp/cwagent_ecs_auto_sd.yaml"
  family         = ["ClusterName", "TaskDefinitionFamily"]

  # Which series become CloudWatch metrics (everything else scraped is left in the log only).
  metric_declarations = [
    {
      # Read from Redis and Postgres by the web process at scrape time: the same value on every
      # web task (alarms take the maximum).
      source_labels    = ["job"]
      label_matcher    = "^web$"
      dimensions       = [local.family]
      metric_selectors = ["^afp_click_drain_lag_seconds$", "^afp_click_stream_pending$", "^afp_click_stream_length$", "^afp_click_dead_letters$", "^afp_outbox_failing_events$"]
    },
    {
      source_labels    = ["job"]
      label_matcher    = "^web$"
      dimensions       = [concat(local.family, ["queue"]), local.family]
      metric_selectors = ["^afp_celery_queue_length$"]
    },
    {
      source_labels    = ["job"]
      label_matcher    = "^worker$"
      dimensions       = [local.family]
      metric_selectors = ["^afp_celery_task_failures_total$", "^afp_celery_task_retries_total$"]
    },
    {
      # Server errors only: the 5xx series of web and lane (the label matcher reads job;status).
      source_labels    = ["job", "status"]
      label_matcher    = "^(web|lane);5[0-9][0-9]$"
      dimensions       = [local.family]
      metric_selectors = ["^afp_http_requests_total$"]
    },
  ]

  agent_config = {
    agent = { region = data.aws_region.current.name }
    logs = {
      force_flush_interval = 5
      metrics_collected = {
        prometheus = {
          cluster_name           = var.cluster_name
          log_group_name         = aws_cloudwatch_log_group.metrics.name
          prometheus_config_path = "env:PROMETHEUS_CONFIG_CONTENT"
          ecs_service_discovery = {
            sd_frequency   = "1m"
            sd_result_file = local.sd_result_file
            docker_label = {
              sd_port_label         = "ECS_PROMETHEUS_EXPORTER_PORT"
              sd_metrics_path_label = "ECS_PROMETHEUS_METRICS_PATH"
              sd_job_name_label     = "ECS_PROMETHEUS_JOB_NAME"
            }
          }
          emf_processor = {
            metric_namespace   = local.namespace
            metric_declaration = local.metric_declarations
          }
        }
      }
    }
  }

  # Holds the bearer token: a secret, injected as PROMETHEUS_CONFIG_CONTENT.
  prometheus_config = {
    global = { scrape_interval = "1m", scrape_timeout = "10s" }
    scrape_configs = [
      {
        job_name        = "platform"
        sample_limit    = 10000
        file_sd_configs = [{ files = [local.sd_result_file] }]
        authorization   = { type = "Bearer", credentials = var.metrics_token }
      }
    ]
  }
}

resource "aws_cloudwatch_log_group" "metrics" {
  name              = "/${var.cluster_name}/metrics"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "agent" {
  name              = "/${var.cluster_name}/metrics-agent"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_secretsmanager_secret" "prometheus_config" {
  #checkov:skip=CKV2_AWS_57:Derived from METRICS_TOKEN by Terraform; rotated with it (a new random_password and a deploy).
  name                    = "${var.name}/metrics-agent-prometheus-config"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "prometheus_config" {
  secret_id     = aws_secretsmanager_secret.prometheus_config.id
  secret_string = yamlencode(local.prometheus_config)
}

# --- network: the agent reaches the tasks' metrics ports, nothing reaches the agent -----------------

resource "aws_security_group" "agent" {
  name        = "${var.name}-metrics-agent"
  description = "CloudWatch agent scraping the platform's metrics"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "agent_to_tasks" {
  for_each                     = { http = [8000, 8001], workers = [9100, 9100] }
  security_group_id            = aws_security_group.agent.id
  description                  = "Metrics of the tasks (${each.key})"
  referenced_security_group_id = var.tasks_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value[0]
  to_port                      = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "agent_https" {
  security_group_id = aws_security_group.agent.id
  description       = "HTTPS to the ECS, CloudWatch Logs and ECR APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_agent" {
  for_each                     = { http = [8000, 8001], workers = [9100, 9100] }
  security_group_id            = var.tasks_security_group_id
  description                  = "Metrics scrapes from the CloudWatch agent (${each.key})"
  referenced_security_group_id = aws_security_group.agent.id
  ip_protocol                  = "tcp"
  from_port                    = each.value[0]
  to_port                      = each.value[1]
}

# --- roles -------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.cluster_name}-metrics-agent-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_config" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.prometheus_config.arn]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "read_config" {
  name   = "read-config"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_config.json
}

resource "aws_iam_role" "task" {
  name               = "${var.cluster_name}-metrics-agent-task"
  assume_role_policy = data.aws_iam_policy_document.assume_tasks.json
}

# ECS service discovery (the cluster's tasks and their definitions) and the EMF log group.
data "aws_iam_policy_document" "agent" {
  #checkov:skip=CKV_AWS_356:ecs:DescribeTaskDefinition and ec2:DescribeInstances support no resource-level permissions; ListTasks and DescribeTasks are held to this cluster by the condition.
  #checkov:skip=CKV_AWS_111:No write action here has "*": the log actions name the metrics log group.
  statement {
    actions   = ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:ListServices", "ecs:DescribeServices", "ecs:DescribeContainerInstances"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    actions   = ["ecs:DescribeTaskDefinition", "ec2:DescribeInstances"]
    resources = ["*"]
  }
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.metrics.arn}:*"]
  }
  statement {
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "agent" {
  name   = "service-discovery-and-emf"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.agent.json
}

# --- the agent ---------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "agent" {
  #checkov:skip=CKV_AWS_336:The CloudWatch agent translates CW_CONFIG_CONTENT into its own files under /opt/aws/amazon-cloudwatch-agent at start; it runs no code of ours and has no inbound port.
  family                   = "${var.cluster_name}-metrics-agent"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "cloudwatch-agent"
      image                  = var.agent_image
      essential              = true
      readonlyRootFilesystem = false
      privileged             = false
      environment            = [{ name = "CW_CONFIG_CONTENT", value = jsonencode(local.agent_config) }]
      secrets                = [{ name = "PROMETHEUS_CONFIG_CONTENT", valueFrom = aws_secretsmanager_secret.prometheus_config.arn }]
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.agent.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "agent"
        }
      }
    }
  ])
}

resource "aws_ecs_service" "agent" {
  name                               = "metrics-agent"
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.agent.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.agent.id]
    assign_public_ip = false
  }
}
