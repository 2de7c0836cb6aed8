# The affiliate platform on AWS: see README.md beside this file.

locals {
  name = "${var.project}-${var.environment}"
  # PgBouncer's port on each task's loopback.
  pooler_port = 6432

  # What every process reads from its environment (see the repository README, Configuration).
  environment = merge(
    {
      DJANGO_SETTINGS_MODULE  = "config.settings.production"
      ROOT_DOMAIN             = var.root_domain
      PUBLIC_URL_SCHEME       = "https"
      AWS_STORAGE_BUCKET_NAME = module.storage.media_bucket_name
      AWS_S3_REGION_NAME      = var.region
      # The ALB appends the client to X-Forwarded-For; only hosts of the VPC are trusted proxies.
      CLIENT_IP_HEADER    = "HTTP_X_FORWARDED_FOR"
      FORWARDED_ALLOW_IPS = var.vpc_cidr
      CLICK_FALLBACK_DIR  = "/app/var/clicks-fallback"
      GRAPHQL_PLAYGROUND  = "authenticated"
      # uvicorn finishes in-flight requests this long after SIGTERM (under stopTimeout, 30 s).
      GRACEFUL_SHUTDOWN_SECONDS = "20"
      # DATABASE_URL is the task's PgBouncer sidecar, in transaction pooling mode (README,
      # Connection pooling): the search path travels with each transaction.
      DATABASE_POOLER = "transaction"
      # What a brand admin is told to point a custom domain at (modules/custom_domains).
      CUSTOM_DOMAIN_CNAME_TARGET = module.custom_domains.endpoint
    },
    var.app_environment,
  )

  secrets = merge(
    {
      SECRET_KEY          = module.secrets.secret_key_arn
      METRICS_TOKEN       = module.secrets.metrics_token_arn
      DATABASE_URL        = module.database.pooled_url_secret_arn
      # The server itself, for the release step (migrations never go through the pooler).
      DATABASE_DIRECT_URL = module.database.database_url_secret_arn
      REDIS_URL           = module.cache.redis_url_secret_arn
    },
    module.secrets.external_secret_arns,
  )

  web_probe = ["CMD", "python", "/app/infra/docker/healthcheck.py"]
  # Each process type: its port and target group (HTTP ones), request-count scaling (requests
  # per task per minute; the lane is CPU-bound, so CPU alone scales it), container probe,
  # whether it reads and writes the media bucket, and where it serves /metrics (modules/metrics).
  processes = {
    web = {
      port = 8000, target_group = "web", requests_per_target = 3000, probe = local.web_probe, uses_s3 = true, metrics_port = 8000
    }
    lane = {
      port = 8001, target_group = "lane", requests_per_target = null, probe = local.web_probe, uses_s3 = false, metrics_port = 8001
    }
    worker = {
      port                = null
      target_group        = null
      requests_per_target = null
      uses_s3             = true
      probe               = ["CMD-SHELL", "celery -A config inspect ping -d celery@$HOSTNAME --timeout 10"]
      metrics_port        = 9100
    }
    beat  = { port = null, target_group = null, requests_per_target = null, probe = null, uses_s3 = false, metrics_port = null }
    drain = { port = null, target_group = null, requests_per_target = null, probe = null, uses_s3 = false, metrics_port = 9100 }
  }
}

module "secrets" {
  source                = "./modules/secrets"
  name                  = local.name
  external_secret_names = ["STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"]
}

module "network" {
  source             = "./modules/network"
  name               = local.name
  region             = var.region
  cidr               = var.vpc_cidr
  availability_zones = var.availability_zones
  kms_key_arn        = module.secrets.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "database" {
  source                   = "./modules/database"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  client_security_group_id = module.network.tasks_security_group_id
  instance_class           = var.db_instance_class
  allocated_storage_gb     = var.db_allocated_storage_gb
  max_storage_gb           = var.db_max_storage_gb
  backup_retention_days    = var.db_backup_retention_days
  kms_key_arn              = module.secrets.kms_key_arn
  pooler_port              = local.pooler_port
}

module "cache" {
  source                   = "./modules/cache"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  client_security_group_id = module.network.tasks_security_group_id
  node_type                = var.cache_node_type
  kms_key_arn              = module.secrets.kms_key_arn
  log_retention_days       = var.log_retention_days
}

module "storage" {
  source             = "./modules/storage"
  name               = local.name
  kms_key_arn        = module.secrets.kms_key_arn
  noncurrent_days    = var.media_noncurrent_days
  log_retention_days = var.log_retention_days
}

module "edge" {
  source = "./modules/edge"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
  name                    = local.name
  root_domain             = var.root_domain
  static_domain           = var.static_domain
  hosted_zone_id          = var.hosted_zone_id
  vpc_id                  = module.network.vpc_id
  public_subnet_ids       = module.network.public_subnet_ids
  tasks_security_group_id = module.network.tasks_security_group_id
  logs_bucket_name        = module.storage.logs_bucket_name
  logs_bucket_domain_name = module.storage.logs_bucket_domain_name
  kms_key_arn             = module.secrets.kms_key_arn
  log_retention_days      = var.log_retention_days
}

module "custom_domains" {
  source                  = "./modules/custom_domains"
  name                    = local.name
  root_domain             = var.root_domain
  hosted_zone_id          = var.hosted_zone_id
  vpc_id                  = module.network.vpc_id
  vpc_cidr                = var.vpc_cidr
  public_subnet_ids       = module.network.public_subnet_ids
  private_subnet_ids      = module.network.private_subnet_ids
  tasks_security_group_id = module.network.tasks_security_group_id
  cluster_name            = aws_ecs_cluster.main.name
  cluster_arn             = aws_ecs_cluster.main.arn
  image                   = var.caddy_image
  acme_email              = var.acme_email
  kms_key_arn             = module.secrets.kms_key_arn
  log_retention_days      = var.log_retention_days
}

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# What the application may do in AWS: read and write its bucket (uploads, invoices, signed links).
data "aws_iam_policy_document" "media" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.storage.media_bucket_arn}/*"]
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = [module.storage.media_bucket_arn]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.secrets.kms_key_arn]
  }
}

module "service" {
  source   = "./modules/service"
  for_each = local.processes

  process              = each.key
  image                = var.image
  cluster_name         = aws_ecs_cluster.main.name
  cluster_arn          = aws_ecs_cluster.main.arn
  cpu                  = var.services[each.key].cpu
  memory               = var.services[each.key].memory
  desired              = var.services[each.key].desired
  min                  = var.services[each.key].min
  max                  = var.services[each.key].max
  cpu_target           = var.services[each.key].cpu_target
  single_instance      = each.key == "beat"
  subnet_ids           = module.network.private_subnet_ids
  security_group_id    = module.network.tasks_security_group_id
  container_port       = each.value.port
  target_group_arn     = each.value.target_group == null ? null : module.edge.target_group_arns[each.value.target_group]
  alb_resource_label   = each.value.target_group == null ? null : "${module.edge.alb_arn_suffix}/${module.edge.target_group_arn_suffixes[each.value.target_group]}"
  requests_per_target  = each.value.requests_per_target
  # web and lane register their tasks for the custom-domain proxy (Cloud Map A records).
  service_registry_arn = lookup(module.custom_domains.registry_arns, each.key, null)
  metrics_port         = each.value.metrics_port
  health_check_command = each.value.probe
  environment          = local.environment
  secrets              = local.secrets
  task_policy_json     = each.value.uses_s3 ? data.aws_iam_policy_document.media.json : null
  kms_key_arn          = module.secrets.kms_key_arn
  log_retention_days   = var.log_retention_days
  # The worker's warm shutdown lets running tasks finish: the most Fargate allows.
  stop_timeout = each.key == "worker" ? 120 : 30
  pgbouncer = {
    image               = var.pgbouncer_image
    db_host             = module.database.connection.host
    db_port             = module.database.connection.port
    db_name             = module.database.connection.database
    db_user             = module.database.connection.username
    password_secret_arn = module.database.password_secret_arn
    port                = local.pooler_port
    pool_size           = var.pgbouncer_pool_sizes[each.key]
  }
}

module "metrics" {
  source                  = "./modules/metrics"
  name                    = local.name
  cluster_name            = aws_ecs_cluster.main.name
  cluster_arn             = aws_ecs_cluster.main.arn
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  tasks_security_group_id = module.network.tasks_security_group_id
  metrics_token           = module.secrets.metrics_token
  agent_image             = var.cloudwatch_agent_image
  kms_key_arn             = module.secrets.kms_key_arn
  log_retention_days      = var.log_retention_days
}

module "monitoring" {
  source         = "./modules/monitoring"
  name           = local.name
  kms_key_arn    = module.secrets.kms_key_arn
  alarm_emails   = var.alarm_emails
  alb_arn_suffix = module.edge.alb_arn_suffix
  target_groups = {
    web  = { arn_suffix = module.edge.target_group_arn_suffixes["web"], p95_seconds = 1 }
    lane = { arn_suffix = module.edge.target_group_arn_suffixes["lane"], p95_seconds = 0.05 }
  }
  db_instance_id          = module.database.instance_id
  db_allocated_storage_gb = module.database.allocated_storage_gb
  cache_cluster_ids       = module.cache.member_clusters
  cluster_name            = aws_ecs_cluster.main.name
  metrics_namespace       = module.metrics.namespace
  platform_thresholds     = var.platform_alarm_thresholds
  # The five processes, the custom-domain proxy and the metrics agent (a stopped agent would
  # silence the platform-metric alarms).
  services = merge(
    {
      for process, service in module.service : process => {
        service_name = service.service_name
        min          = var.services[process].min
      }
    },
    {
      caddy           = { service_name = module.custom_domains.service_name, min = module.custom_domains.min_tasks }
      "metrics-agent" = { service_name = module.metrics.service_name, min = 1 }
    },
  )
}
