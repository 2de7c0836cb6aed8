variable "name" {
  description = "Prefix of resource names (<project>-<environment>)."
  type        = string
}

variable "region" {
  description = "AWS region (for the S3 gateway endpoint's service name)."
  type        = string
}

variable "cidr" {
  description = "CIDR block of the VPC."
  type        = string
}

variable "availability_zones" {
  description = "Zones to create one public and one private subnet in."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key encrypting the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the flow-log group."
  type        = number
}
