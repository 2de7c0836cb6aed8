# Brands' custom domains (partners.example.com): a network load balancer with one static address
# per zone passes TCP 80 and 443 through to a small Caddy service (infra/docker/caddy) that gets a
# certificate on demand for each verified custom domain (it asks the platform's
# /internal/tls-ask first) and proxies to the web and lane tasks, found by Cloud Map DNS names.
# Certificates and ACME locks live in DynamoDB, shared by every Caddy task. A brand's customer
# points their domain here (CNAME to the endpoint record, or A records to the static addresses).
#
# The ALB keeps the root domain and the brand subdomains (its wildcard certificate); this tier
# holds no certificate quota (an ALB takes 25 by default) and needs no Terraform run per domain.

data "aws_region" "current" {}

locals {
  upstreams = toset(["web", "lane"])
  ports     = { http = 8080, https = 8443, health = 8081 }
}

# --- service discovery: web.<namespace> and lane.<namespace>, one A record per task -------------

resource "aws_service_discovery_private_dns_namespace" "internal" {
  name        = "${var.name}.internal"
  description = "The platform's tasks, for the custom-domain proxy"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "upstream" {
  for_each = local.upstreams
  name     = each.key

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.internal.id
    routing_policy = "MULTIVALUE"
    dns_records {
      ttl  = 10
      type = "A"
    }
  }

  # ECS registers a task once it is running and deregisters it when it stops or fails its
  # container health check.
  health_check_custom_config {
    failure_threshold = 1
  }
}

# --- certificate storage ---------------------------------------------------------------------------

resource "aws_dynamodb_table" "certificates" {
  name                        = "${var.name}-caddy-certificates"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PrimaryKey"
  deletion_protection_enabled = true

  attribute {
    name = "PrimaryKey"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }
}

# --- network -------------------------------------------------------------------------------------

resource "aws_eip" "nlb" {
  #checkov:skip=CKV2_AWS_19:Attached to the network load balancer (subnet_mapping below), not to an instance: the check knows EC2 and NAT only.
  count  = length(var.public_subnet_ids)
  domain = "vpc"
  tags   = { Name = "${var.name}-custom-domains-${count.index}" }
}

resource "aws_security_group" "nlb" {
  name        = "${var.name}-custom-domains-nlb"
  description = "Custom-domain load balancer: HTTP and HTTPS from anywhere"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "nlb" {
  #checkov:skip=CKV_AWS_260:Port 80 of custom domains: ACME HTTP challenges, the HTTP verification token, and Caddy's redirect to HTTPS for everything else.
  for_each          = { http = 80, https = 443 }
  security_group_id = aws_security_group.nlb.id
  description       = "${upper(each.key)} from anywhere"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
}

resource "aws_vpc_security_group_egress_rule" "nlb_to_caddy" {
  for_each                     = local.ports
  security_group_id            = aws_security_group.nlb.id
  description                  = "To the Caddy tasks (${each.key})"
  referenced_security_group_id = aws_security_group.caddy.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_security_group" "caddy" {
  name        = "${var.name}-custom-domains-caddy"
  description = "Caddy tasks of the custom-domain tier"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "caddy_from_nlb" {
  for_each                     = local.ports
  security_group_id            = aws_security_group.caddy.id
  description                  = "From the load balancer (${each.key})"
  referenced_security_group_id = aws_security_group.nlb.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_vpc_security_group_egress_rule" "caddy_to_tasks" {
  security_group_id            = aws_security_group.caddy.id
  description                  = "To the web (8000) and lane (8001) tasks"
  referenced_security_group_id = var.tasks_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8001
}

resource "aws_vpc_security_group_egress_rule" "caddy_https" {
  security_group_id = aws_security_group.caddy.id
  description       = "HTTPS out: the ACME authority, DynamoDB, ECR and CloudWatch Logs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_caddy" {
  security_group_id            = var.tasks_security_group_id
  description                  = "Web (8000) and lane (8001) from the custom-domain proxy"
  referenced_security_group_id = aws_security_group.caddy.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8001
}

# --- load balancer ------------------------------------------------------------------------------

resource "aws_lb" "custom_domains" {
  #checkov:skip=CKV_AWS_91:TCP passthrough: TLS ends in Caddy, so the load balancer has no request to log (NLB access logs cover TLS listeners only); Caddy logs each request to CloudWatch.
  #checkov:skip=CKV2_AWS_20:TCP 80 is passed to Caddy, which redirects to HTTPS itself (all but ACME challenges and the verification token); an NLB cannot redirect.
  #checkov:skip=CKV2_AWS_28:WAF does not attach to a network load balancer; the platform's rate limits and the ALB's WAF rules for the brand hosts remain.
  name                             = "${var.name}-domains"
  load_balancer_type               = "network"
  internal                         = false
  security_groups                  = [aws_security_group.nlb.id]
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = true

  dynamic "subnet_mapping" {
    for_each = var.public_subnet_ids
    content {
      subnet_id     = subnet_mapping.value
      allocation_id = aws_eip.nlb[subnet_mapping.key].id
    }
  }
}

resource "aws_lb_target_group" "caddy" {
  #checkov:skip=CKV_AWS_378:TCP passthrough to Caddy, which terminates TLS itself on 8443; 8080 carries plain HTTP by design (redirects, ACME, verification token).
  for_each             = { http = local.ports.http, https = local.ports.https }
  name                 = "${var.name}-dom-${each.key}"
  port                 = each.value
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  proxy_protocol_v2    = true
  deregistration_delay = 30

  health_check {
    protocol            = "HTTP"
    port                = tostring(local.ports.health)
    path                = "/healthz"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "caddy" {
  #checkov:skip=CKV_AWS_2:TCP passthrough: Caddy holds each custom domain's certificate; the NLB cannot (it would need one ACM certificate per domain).
  #checkov:skip=CKV_AWS_103:Same listener: TLS 1.2+ is enforced by Caddy, which terminates it.
  for_each          = { http = 80, https = 443 }
  load_balancer_arn = aws_lb.custom_domains.arn
  port              = each.value
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.caddy[each.key].arn
  }
}

# What a brand's customer points their domain at (the platform shows it: CUSTOM_DOMAIN_CNAME_TARGET).
# Two labels under the root domain: no brand subdomain (one label) can shadow it.
resource "aws_route53_record" "endpoint" {
  zone_id = var.hosted_zone_id
  name    = "${var.endpoint_label}.${var.root_domain}"
  type    = "A"
  alias {
    name                   = aws_lb.custom_domains.dns_name
    zone_id                = aws_lb.custom_domains.zone_id
    evaluate_target_health = true
  }
}

# --- the Caddy service ---------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "caddy" {
  name              = "/${var.cluster_name}/caddy"
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

resource "aws_iam_role" "execution" {
  name               = "${var.cluster_name}-caddy-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  name               = "${var.cluster_name}-caddy-task"
  assume_role_policy = data.aws_iam_policy_document.assume_tasks.json
}

# Caddy reads and writes its certificates, keys and locks in the table, nothing else.
data "aws_iam_policy_document" "certificates" {
  statement {
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:DescribeTable",
    ]
    resources = [aws_dynamodb_table.certificates.arn]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "certificates" {
  name   = "certificates"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.certificates.json
}

resource "aws_ecs_task_definition" "caddy" {
  family                   = "${var.cluster_name}-caddy"
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

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "caddy"
      image                  = var.image
      essential              = true
      readonlyRootFilesystem = true
      privileged             = false
      user                   = "10003:10003"
      portMappings = [
        { containerPort = 8080, hostPort = 8080, protocol = "tcp" },
        { containerPort = 8443, hostPort = 8443, protocol = "tcp" },
        { containerPort = 8081, hostPort = 8081, protocol = "tcp" },
      ]
      environment = [
        { name = "ACME_EMAIL", value = var.acme_email },
        { name = "CERTIFICATE_TABLE", value = aws_dynamodb_table.certificates.name },
        { name = "CADDY_AWS_REGION", value = data.aws_region.current.name },
        { name = "WEB_HOST", value = "web.${aws_service_discovery_private_dns_namespace.internal.name}" },
        { name = "LANE_HOST", value = "lane.${aws_service_discovery_private_dns_namespace.internal.name}" },
        { name = "TRUSTED_PROXY_CIDR", value = var.vpc_cidr },
      ]
      healthCheck = {
        command     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8081/healthz"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 15
      }
      stopTimeout = 30
      mountPoints = [
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.caddy.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "caddy"
        }
      }
    }
  ])
}

resource "aws_ecs_service" "caddy" {
  name                               = "caddy"
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.caddy.arn
  desired_count                      = var.min_tasks
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  health_check_grace_period_seconds  = 30
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.caddy.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = { http = 8080, https = 8443 }
    content {
      target_group_arn = aws_lb_target_group.caddy[load_balancer.key].arn
      container_name   = "caddy"
      container_port   = load_balancer.value
    }
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "caddy" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.caddy.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks
}

resource "aws_appautoscaling_policy" "caddy_cpu" {
  name               = "caddy-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.caddy.service_namespace
  resource_id        = aws_appautoscaling_target.caddy.resource_id
  scalable_dimension = aws_appautoscaling_target.caddy.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
