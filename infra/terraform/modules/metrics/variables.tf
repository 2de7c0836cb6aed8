variable "name" {
  description = "Prefix of resource names; the metrics namespace is <name>/Platform."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster whose tasks are scraped (CloudWatch dimension ClusterName)."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of that cluster (the agent's service discovery is held to it)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the agent."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the agent task."
  type        = list(string)
}

variable "tasks_security_group_id" {
  description = "Security group of the platform's tasks (the agent reaches 8000-8001 and 9100)."
  type        = string
}

variable "metrics_token" {
  description = "METRICS_TOKEN, presented as a bearer token on every scrape."
  type        = string
  sensitive   = true
}

variable "agent_image" {
  description = "CloudWatch agent image (pin a released tag of public.ecr.aws/cloudwatch-agent/cloudwatch-agent)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the log groups and the scrape-configuration secret."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the EMF and agent log groups."
  type        = number
}
