output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.main.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.main.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, database, cache)."
  value       = aws_subnet.private[*].id
}

output "tasks_security_group_id" {
  description = "Security group of the ECS tasks."
  value       = aws_security_group.tasks.id
}
