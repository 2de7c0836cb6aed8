import { graphql } from "../../gql";

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      user {
        ...MeFields
      }
      twoFactorRequired
      errors {
        field
        code
        message
      }
    }
  }
`);

export const SignupMutation = graphql(`
  mutation Signup($input: SignupInput!) {
    signup(input: $input) {
      ok
      awaitingApproval
      errors {
        field
        code
        message
      }
    }
  }
`);

export const AffiliateJoinMutation = graphql(`
  mutation AffiliateJoin($programId: ID!, $referralCode: String!) {
    affiliateJoin(programId: $programId, referralCode: $referralCode) {
      affiliate {
        id
        programId
        status
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MagicLinkRequestMutation = graphql(`
  mutation MagicLinkRequest($email: String!) {
    magicLinkRequest(email: $email) {
      ok
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MagicLinkLoginMutation = graphql(`
  mutation MagicLinkLogin($token: String!) {
    magicLinkLogin(token: $token) {
      user {
        ...MeFields
      }
      twoFactorRequired
      errors {
        field
        code
        message
      }
    }
  }
`);
