variable "name" {
  description = "Prefix of the key alias and secret names (<project>-<environment>)."
  type        = string
}

variable "external_secret_names" {
  description = "Environment variable names of secrets whose values an operator sets (e.g. STRIPE_API_KEY)."
  type        = list(string)
}
