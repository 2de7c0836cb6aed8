variable "name" {
  description = "Prefix of the bucket names (<project>-<environment>); bucket names are global."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the media bucket."
  type        = string
}

variable "noncurrent_days" {
  description = "Days a replaced or deleted object version is kept."
  type        = number
}

variable "log_retention_days" {
  description = "Days access logs are kept."
  type        = number
}
