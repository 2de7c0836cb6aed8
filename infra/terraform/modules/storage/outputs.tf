output "media_bucket_name" {
  description = "Name of the media and invoice bucket (AWS_STORAGE_BUCKET_NAME)."
  value       = aws_s3_bucket.media.bucket
}

output "media_bucket_arn" {
  description = "ARN of the media and invoice bucket."
  value       = aws_s3_bucket.media.arn
}

output "logs_bucket_name" {
  description = "Name of the access-log bucket."
  value       = aws_s3_bucket.logs.bucket
}

output "logs_bucket_domain_name" {
  description = "Regional domain name of the access-log bucket (CloudFront logging)."
  value       = aws_s3_bucket.logs.bucket_regional_domain_name
}
