import { graphql } from "../../gql";

export const TwoFactorStatusQuery = graphql(`
  query TwoFactorStatus {
    twoFactorStatus {
      enabled
      required
      enrolmentRequired
      backupCodesRemaining
      fresh
    }
  }
`);

export const LoginVerifyTwoFactorMutation = graphql(`
  mutation LoginVerifyTwoFactor($code: String!) {
    loginVerifyTwoFactor(code: $code) {
      user {
        ...MeFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TwoFactorSetupBeginMutation = graphql(`
  mutation TwoFactorSetupBegin {
    twoFactorSetupBegin {
      secret
      otpauthUri
      qrCodeSvg
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TwoFactorSetupConfirmMutation = graphql(`
  mutation TwoFactorSetupConfirm($code: String!) {
    twoFactorSetupConfirm(code: $code) {
      backupCodes
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TwoFactorVerifyMutation = graphql(`
  mutation TwoFactorVerify($code: String!) {
    twoFactorVerify(code: $code) {
      ok
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TwoFactorBackupCodesRegenerateMutation = graphql(`
  mutation TwoFactorBackupCodesRegenerate($code: String!) {
    twoFactorBackupCodesRegenerate(code: $code) {
      backupCodes
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TwoFactorDisableMutation = graphql(`
  mutation TwoFactorDisable($code: String!) {
    twoFactorDisable(code: $code) {
      ok
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TwoFactorPolicyQuery = graphql(`
  query TwoFactorPolicy {
    brand {
      id
      twoFactorRequiredRoles
    }
  }
`);

export const TwoFactorPolicyUpdateMutation = graphql(`
  mutation TwoFactorPolicyUpdate($roles: [Role!]!) {
    brandUpdate(input: { twoFactorRequiredRoles: $roles }) {
      brand {
        id
        twoFactorRequiredRoles
      }
      errors {
        field
        code
        message
      }
    }
  }
`);
