# One process type of the platform as an ECS Fargate service: the shared image with its Procfile
# command, secrets injected from Secrets Manager, logs in CloudWatch, an optional target group,
# and target-tracking autoscaling on CPU (and on requests per target behind the load balancer).
# Each task runs a PgBouncer sidecar (transaction pooling, 127.0.0.1:<port>) the process reaches
# PostgreSQL through (DATABASE_POOLER=transaction); the process starts once it is healthy, and
# ECS stops it after the process (dependency order).

data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "service" {
  name              = "/${var.cluster_name}/${var.process}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "assume_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The execution role: pulls the image, writes logs, reads this process's secrets.
resource "aws_iam_role" "execution" {
  name               = "${var.cluster_name}-${var.process}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat(values(var.secrets), [var.pgbouncer.password_secret_arn])
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets.json
}

# The task role: what the application itself may do (S3 for processes that store files).
resource "aws_iam_role" "task" {
  name               = "${var.cluster_name}-${var.process}-task"
  assume_role_policy = data.aws_iam_policy_document.assume_tasks.json
}

resource "aws_iam_role_policy" "task" {
  count  = var.task_policy_json == null ? 0 : 1
  name   = "application"
  role   = aws_iam_role.task.id
  policy = var.task_policy_json
}

locals {
  # The HTTP port, and the metrics port of a process without one (worker, drain: METRICS_PORT).
  separate_metrics_port = var.metrics_port != null && var.metrics_port != var.container_port
  ports = distinct(compact([
    var.container_port == null ? "" : tostring(var.container_port),
    var.metrics_port == null ? "" : tostring(var.metrics_port),
  ]))
  port_mappings = [
    for port in local.ports : { containerPort = tonumber(port), hostPort = tonumber(port), protocol = "tcp" }
  ]
  # The metrics agent (modules/metrics) discovers what to scrape by these labels.
  docker_labels = var.metrics_port == null ? {} : {
    ECS_PROMETHEUS_EXPORTER_PORT = tostring(var.metrics_port)
    ECS_PROMETHEUS_METRICS_PATH  = "/metrics"
    ECS_PROMETHEUS_JOB_NAME      = var.process
  }
  health_check = var.health_check_command == null ? null : {
    command     = var.health_check_command
    interval    = 30
    timeout     = 15
    retries     = 3
    startPeriod = 60
  }
  environment = [
    for name, value in merge(
      var.environment,
      var.container_port == null ? {} : { PORT = tostring(var.container_port) },
      local.separate_metrics_port ? { METRICS_PORT = tostring(var.metrics_port) } : {},
    ) :
    { name = name, value = value }
  ]
}

resource "aws_ecs_task_definition" "service" {
  family                   = "${var.cluster_name}-${var.process}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root filesystem is read-only; these two are the only writable places.
  volume {
    name = "tmp"
  }

  volume {
    name = "clicks-fallback"
  }

  volume {
    name = "pgbouncer-config"
  }

  # A plain literal (no merge()): checkov reads the container definition only when it can see it.
  container_definitions = jsonencode([
    {
      name                   = var.process
      image                  = var.image
      command                = [var.process]
      essential              = true
      readonlyRootFilesystem = true
      privileged             = false
      user                   = "10001:10001"
      portMappings           = local.port_mappings
      dockerLabels           = local.docker_labels
      environment            = local.environment
      secrets                = [for name, arn in var.secrets : { name = name, valueFrom = arn }]
      healthCheck            = local.health_check
      stopTimeout            = var.stop_timeout
      mountPoints = [
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
        { sourceVolume = "clicks-fallback", containerPath = "/app/var/clicks-fallback", readOnly = false },
      ]
      linuxParameters = { initProcessEnabled = true }
      dependsOn       = [{ containerName = "pgbouncer", condition = "HEALTHY" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = var.process
        }
      }
    },
    {
      name                   = "pgbouncer"
      image                  = var.pgbouncer.image
      essential              = true
      readonlyRootFilesystem = true
      privileged             = false
      user                   = "10002:10002"
      environment = [
        { name = "PGBOUNCER_DB_HOST", value = var.pgbouncer.db_host },
        { name = "PGBOUNCER_DB_PORT", value = tostring(var.pgbouncer.db_port) },
        { name = "PGBOUNCER_DB_NAME", value = var.pgbouncer.db_name },
        { name = "PGBOUNCER_DB_USER", value = var.pgbouncer.db_user },
        # Only the task's containers share the loopback (awsvpc): nothing else can reach it.
        { name = "PGBOUNCER_LISTEN_ADDR", value = "127.0.0.1" },
        { name = "PGBOUNCER_PORT", value = tostring(var.pgbouncer.port) },
        { name = "PGBOUNCER_POOL_SIZE", value = tostring(var.pgbouncer.pool_size) },
        { name = "PGBOUNCER_MAX_CLIENT_CONN", value = "200" },
        # rds.force_ssl: PgBouncer to RDS over TLS.
        { name = "PGBOUNCER_SERVER_TLS_SSLMODE", value = "require" },
      ]
      secrets = [{ name = "PGBOUNCER_DB_PASSWORD", valueFrom = var.pgbouncer.password_secret_arn }]
      healthCheck = {
        command     = ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", tostring(var.pgbouncer.port)]
        interval    = 10
        timeout     = 5
        retries     = 3
        startPeriod = 10
      }
      stopTimeout = 10
      mountPoints = [
        { sourceVolume = "pgbouncer-config", containerPath = "/tmp", readOnly = false },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "pgbouncer"
        }
      }
    }
  ])
}

resource "aws_ecs_service" "service" {
  name                               = var.process
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.service.arn
  desired_count                      = var.desired
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  health_check_grace_period_seconds  = var.target_group_arn == null ? null : 60
  deployment_minimum_healthy_percent = var.single_instance ? 0 : 100
  deployment_maximum_percent         = var.single_instance ? 100 : 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arn == null ? [] : [var.target_group_arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = var.process
      container_port   = var.container_port
    }
  }

  dynamic "service_registries" {
    for_each = var.service_registry_arn == null ? [] : [var.service_registry_arn]
    content {
      registry_arn = service_registries.value
    }
  }

  lifecycle {
    # Autoscaling owns the count once the service exists.
    ignore_changes = [desired_count]
  }
}

# --- autoscaling (none for a single-instance process such as beat) ---------------------------------

resource "aws_appautoscaling_target" "service" {
  count              = var.single_instance ? 0 : 1
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.service.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min
  max_capacity       = var.max
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = var.single_instance ? 0 : 1
  name               = "${var.process}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[0].service_namespace
  resource_id        = aws_appautoscaling_target.service[0].resource_id
  scalable_dimension = aws_appautoscaling_target.service[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count              = var.single_instance || var.requests_per_target == null ? 0 : 1
  name               = "${var.process}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[0].service_namespace
  resource_id        = aws_appautoscaling_target.service[0].resource_id
  scalable_dimension = aws_appautoscaling_target.service[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.alb_resource_label
    }
  }
}
