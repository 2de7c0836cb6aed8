# The platform's KMS key (database, cache, buckets, logs, secrets, alarm topic) and the
# application's secrets in Secrets Manager. ECS injects each secret as an environment variable.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" is this key only; the account-root statement is AWS's default key policy, without which the key cannot be administered.
  #checkov:skip=CKV_AWS_111:Same: "*" in a key policy means this key; write access stays with the account and the listed AWS services.
  #checkov:skip=CKV_AWS_356:Same: a key policy cannot name the key it belongs to, so its Resource is "*".
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid = "ServicesEncrypt"
    actions = [
      "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
    ]
    resources = ["*"]
    principals {
      type = "Service"
      identifiers = [
        "logs.${data.aws_region.current.name}.amazonaws.com",
        "sns.amazonaws.com",
        "cloudwatch.amazonaws.com",
      ]
    }
  }
}

resource "aws_kms_key" "platform" {
  description             = "${var.name}: data at rest (RDS, ElastiCache, S3, logs, secrets, SNS)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.platform.key_id
}

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

# Django's SECRET_KEY.
resource "aws_secretsmanager_secret" "secret_key" {
  #checkov:skip=CKV2_AWS_57:Rotating SECRET_KEY logs every user out and voids signed links; it is rotated by hand (README).
  name                    = "${var.name}/secret-key"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "secret_key" {
  secret_id     = aws_secretsmanager_secret.secret_key.id
  secret_string = random_password.secret_key.result
}

# Third-party credentials (Stripe, messaging): created empty here, their values set by an operator
# (aws secretsmanager put-secret-value), never in Terraform state.
resource "aws_secretsmanager_secret" "external" {
  #checkov:skip=CKV2_AWS_57:Stripe and messaging keys are rotated in the provider's dashboard, then stored here by an operator; no Lambda can rotate them.
  for_each                = toset(var.external_secret_names)
  name                    = "${var.name}/${lower(replace(each.value, "_", "-"))}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 30
}
