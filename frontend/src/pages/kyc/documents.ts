import { graphql } from "../../gql";

/** What the affiliate's own page and the reviewers' queue both show of a profile. */
export const KycProfileFieldsFragment = graphql(`
  fragment KycProfileFields on KycProfile {
    id
    kind
    status
    legalName
    dateOfBirth
    nationality
    address
    city
    postalCode
    country
    idType
    idNumber
    idExpiry
    companyName
    ice
    rc
    taxId
    vatNumber
    legalRepresentative
    registeredAddress
    iban
    submittedAt
    decisionReason
    documents {
      id
      kind
      contentType
      sizeBytes
      expiresOn
      uploadedAt
    }
  }
`);

export const MyKycQuery = graphql(`
  query MyKyc {
    myKyc {
      ...KycProfileFields
      requiredDocuments
    }
  }
`);

export const KycSaveDraftMutation = graphql(`
  mutation KycSaveDraft($input: KycProfileInput!) {
    kycSaveDraft(input: $input) {
      profile {
        id
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

export const KycDocumentUploadMutation = graphql(`
  mutation KycDocumentUpload($kind: KycDocumentKind!, $file: Upload!, $expiresOn: Date) {
    kycDocumentUpload(kind: $kind, file: $file, expiresOn: $expiresOn) {
      document {
        id
        kind
        contentType
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const KycSubmitMutation = graphql(`
  mutation KycSubmit {
    kycSubmit {
      profile {
        id
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

export const KycReviewQueueQuery = graphql(`
  query KycReviewQueue($status: KycStatus) {
    kycReviewQueue(status: $status) {
      ...KycProfileFields
      userEmail
    }
  }
`);

export const KycDecideMutation = graphql(`
  mutation KycDecide($id: ID!, $decision: KycDecision!, $reason: String!) {
    kycDecide(id: $id, decision: $decision, reason: $reason) {
      profile {
        id
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

export const KycDocumentLinkMutation = graphql(`
  mutation KycDocumentLink($id: ID!) {
    kycDocumentLink(id: $id) {
      url
      errors {
        field
        code
        message
      }
    }
  }
`);

export const KycSettingsQuery = graphql(`
  query KycSettings {
    kycSettings {
      requiredRoles
      payoutThreshold
      retentionDays
    }
  }
`);

export const KycSettingsUpdateMutation = graphql(`
  mutation KycSettingsUpdate($input: KycSettingsInput!) {
    kycSettingsUpdate(input: $input) {
      settings {
        requiredRoles
        payoutThreshold
        retentionDays
      }
      errors {
        field
        code
        message
      }
    }
  }
`);
