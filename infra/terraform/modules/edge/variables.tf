variable "name" {
  description = "Prefix of resource names (<project>-<environment>); at most 26 characters (target group names)."
  type        = string
}

variable "root_domain" {
  description = "The operator console's host; the certificate also covers *.<root_domain>."
  type        = string
}

variable "static_domain" {
  description = "Host of the static-files distribution."
  type        = string
}

variable "hosted_zone_id" {
  description = "Route 53 zone of root_domain and static_domain."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the load balancer."
  type        = list(string)
}

variable "tasks_security_group_id" {
  description = "Security group of the ECS tasks the load balancer forwards to."
  type        = string
}

variable "logs_bucket_name" {
  description = "Bucket receiving the load balancer's access logs."
  type        = string
}

variable "logs_bucket_domain_name" {
  description = "Regional domain name of the log bucket (CloudFront logging)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the WAF log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the WAF log group."
  type        = number
}
