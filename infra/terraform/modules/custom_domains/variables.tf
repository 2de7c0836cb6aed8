variable "name" {
  description = "Prefix of resource names (<project>-<environment>); at most 22 characters (target group names)."
  type        = string
}

variable "root_domain" {
  description = "The platform's root domain; the endpoint record is <endpoint_label>.<root_domain>."
  type        = string
}

variable "endpoint_label" {
  description = "Labels of the endpoint record under the root domain; two labels (a dot) so no brand subdomain can take it."
  type        = string
  default     = "custom.edge"
}

variable "hosted_zone_id" {
  description = "Route 53 zone of root_domain (the endpoint record)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer, the Caddy tasks and the service-discovery namespace."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC: the load balancer's nodes, whose PROXY protocol headers Caddy trusts."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the load balancer (one static address each)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets of the Caddy tasks."
  type        = list(string)
}

variable "tasks_security_group_id" {
  description = "Security group of the platform's tasks (Caddy reaches web on 8000 and lane on 8001)."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster name (prefix of the roles and the log group)."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster ARN."
  type        = string
}

variable "image" {
  description = "The Caddy image built from infra/docker/caddy (Caddy with the DynamoDB storage module)."
  type        = string
}

variable "acme_email" {
  description = "Contact address of the ACME account (expiry and policy notices from Let's Encrypt)."
  type        = string
}

variable "cpu" {
  description = "Fargate CPU units of a Caddy task."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory of a Caddy task in MiB."
  type        = number
  default     = 512
}

variable "min_tasks" {
  description = "Minimum number of Caddy tasks (two or more: one per zone survives a zone outage)."
  type        = number
  default     = 2
}

variable "max_tasks" {
  description = "Maximum number of Caddy tasks (CPU autoscaling)."
  type        = number
  default     = 6
}

variable "kms_key_arn" {
  description = "KMS key of the certificate table and the log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of Caddy's log group."
  type        = number
}
