# The way in: an internet-facing ALB with a wildcard certificate (root domain and every brand
# subdomain), Route 53 alias records for both, /r/* to the click lane and everything else to the
# web process, a WAF in front, and CloudFront in front of /static/.
#
# Brands' custom domains do not come here: they point at the custom-domain tier
# (modules/custom_domains: Caddy with on-demand certificates), which forwards to the same tasks.

terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.us_east_1]
    }
  }
}

# --- certificates and DNS ---------------------------------------------------------------------

resource "aws_acm_certificate" "wildcard" {
  domain_name               = var.root_domain
  subject_alternative_names = ["*.${var.root_domain}"]
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for option in aws_acm_certificate.wildcard.domain_validation_options : option.domain_name => option
  }
  zone_id         = var.hosted_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "wildcard" {
  certificate_arn         = aws_acm_certificate.wildcard.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

resource "aws_route53_record" "root" {
  zone_id = var.hosted_zone_id
  name    = var.root_domain
  type    = "A"
  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}

# Every brand subdomain (<subdomain>.<root_domain>) reaches the ALB; the Domain table decides.
resource "aws_route53_record" "brands" {
  zone_id = var.hosted_zone_id
  name    = "*.${var.root_domain}"
  type    = "A"
  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}

# --- load balancer ------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Internet-facing load balancer"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  #checkov:skip=CKV_AWS_260:Port 80 answers a permanent redirect to HTTPS (listener "http" below), except the custom-domain verification token, which the platform's check fetches over plain HTTP; browsers typing a bare host need the redirect.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere, redirected to HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the web and lane tasks"
  referenced_security_group_id = var.tasks_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8001
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = var.tasks_security_group_id
  description                  = "Web (8000) and lane (8001) from the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8001
}

resource "aws_lb" "main" {
  #checkov:skip=CKV2_AWS_76:The WAF runs AWSManagedRulesKnownBadInputsRuleSet, which holds the Log4j rules; the check also demands AWSManagedRulesAnonymousIpList, which would block shoppers on VPNs and the server-to-server postbacks and webhooks that come from cloud hosts.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = true
  # Websockets (GraphQL subscriptions) stay open; the browser app pings within this.
  idle_timeout = 120

  access_logs {
    bucket  = var.logs_bucket_name
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "web" {
  name                 = "${var.name}-web"
  port                 = 8000
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  # Readiness: a web task that cannot reach Postgres or Redis, or runs ahead of the migrations,
  # gets no traffic.
  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_target_group" "lane" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the targets are tasks in private subnets, reached inside the VPC. Re-encrypting every click would spend the lane's latency budget for no exposure.
  name                 = "${var.name}-lane"
  port                 = 8001
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 15

  # Liveness only: the lane keeps redirecting with Redis or Postgres down.
  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

# Port 80 redirects to HTTPS, except the custom-domain HTTP token
# (http://<domain>/.well-known/affiliate-verify/<token>, tenants/hosts.py): the platform's check
# fetches it over plain HTTP and follows no redirect. As infra/docker/Caddyfile does.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener_rule" "domain_verification" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/.well-known/affiliate-verify/*"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.wildcard.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

# The platform's internal endpoints are not for the internet (as infra/docker/Caddyfile): the
# metrics (scraped inside the VPC with their bearer token, modules/monitoring) and /internal/
# (the custom-domain proxy's certificate question, asked of the web tasks directly).
resource "aws_lb_listener_rule" "internal" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 1

  condition {
    path_pattern {
      values = ["/metrics", "/metrics/", "/internal/*"]
    }
  }

  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "404"
      message_body = "Not Found"
    }
  }
}

resource "aws_lb_listener_rule" "clicks" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/r/*"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.lane.arn
  }
}

# --- WAF ------------------------------------------------------------------------------------------

resource "aws_wafv2_web_acl" "alb" {
  name  = "${var.name}-alb"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "common"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
        # GraphQL bodies and multipart uploads are larger than the rule's 8 KB body limit.
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 20
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-alb"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  resource_arn = aws_lb.main.arn
  web_acl_arn  = aws_wafv2_web_acl.alb.arn
}

resource "aws_cloudwatch_log_group" "waf" {
  # WAF requires this exact prefix.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "alb" {
  resource_arn            = aws_wafv2_web_acl.alb.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
}

# --- CloudFront in front of /static/ ---------------------------------------------------------------

resource "aws_acm_certificate" "static" {
  provider          = aws.us_east_1
  domain_name       = var.static_domain
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "static_validation" {
  for_each = {
    for option in aws_acm_certificate.static.domain_validation_options : option.domain_name => option
  }
  zone_id         = var.hosted_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "static" {
  provider                = aws.us_east_1
  certificate_arn         = aws_acm_certificate.static.arn
  validation_record_fqdns = [for record in aws_route53_record.static_validation : record.fqdn]
}

# AWS managed cache policy CachingOptimized (no cookies, no query strings in the key).
locals {
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
}

resource "aws_cloudfront_response_headers_policy" "static" {
  name = "${var.name}-static"

  security_headers_config {
    content_type_options {
      override = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      # Served on the static host only, which is never submitted to the preload list itself.
      preload  = true
      override = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
  }
}

resource "aws_cloudfront_distribution" "static" {
  #checkov:skip=CKV_AWS_68:Serves only public, build-time static files (GET/HEAD, no query strings forwarded); the origin's ALB has the WAF. A CLOUDFRONT-scope WAF would bill per request for nothing to inspect.
  #checkov:skip=CKV2_AWS_47:Same distribution: no WAF to attach the Log4j rule to; the ALB's WAF runs AWSManagedRulesKnownBadInputsRuleSet (Log4j included).
  #checkov:skip=CKV_AWS_310:One origin (the ALB, itself spread over every zone); there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_305:No default root object: the distribution serves /static/* only; the site itself is on the ALB.
  #checkov:skip=CKV_AWS_374:Brands sell worldwide; static files are public; no country is to be refused.
  enabled         = true
  is_ipv6_enabled = true
  comment         = "${var.name} static files"
  aliases         = [var.static_domain]
  price_class     = "PriceClass_100"

  origin {
    origin_id   = "alb"
    domain_name = var.root_domain
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = "alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.static.id
  }

  ordered_cache_behavior {
    path_pattern               = "/static/*"
    target_origin_id           = "alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.static.id
  }

  logging_config {
    bucket          = var.logs_bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
      locations        = []
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.static.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }
}

resource "aws_route53_record" "static" {
  zone_id = var.hosted_zone_id
  name    = var.static_domain
  type    = "A"
  alias {
    name                   = aws_cloudfront_distribution.static.domain_name
    zone_id                = aws_cloudfront_distribution.static.hosted_zone_id
    evaluate_target_health = false
  }
}
