import { graphql } from "../../gql";

export const MyPrivacyQuery = graphql(`
  query MyPrivacy {
    myPrivacy {
      consentRequired
      termsVersion
      privacyVersion
      currentTermsVersion
      currentPrivacyVersion
      termsAcceptedAt
      privacyAcceptedAt
      marketingOptIn
      exports {
        id
        status
        requestedAt
        expiresAt
        downloadUrl
      }
      erasureRequest {
        id
        status
        dueAt
        decisionReason
      }
    }
  }
`);

export const ConsentAcceptMutation = graphql(`
  mutation ConsentAccept {
    consentAccept {
      privacy {
        consentRequired
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MarketingConsentSetMutation = graphql(`
  mutation MarketingConsentSet($optIn: Boolean!) {
    marketingConsentSet(optIn: $optIn) {
      privacy {
        marketingOptIn
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const DataExportRequestMutation = graphql(`
  mutation DataExportRequest {
    dataExportRequest {
      export {
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

export const ErasureRequestMutation = graphql(`
  mutation ErasureRequest($reason: String!) {
    erasureRequest(reason: $reason) {
      erasureRequest {
        id
        status
        dueAt
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ErasureCancelMutation = graphql(`
  mutation ErasureCancel($id: ID!) {
    erasureCancel(id: $id) {
      erasureRequest {
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

export const LegalDocumentQuery = graphql(`
  query LegalDocument($kind: LegalDocumentKind!) {
    legalDocument(kind: $kind) {
      id
      version
      title
      body
      publishedAt
    }
  }
`);

export const AdminPrivacyQuery = graphql(`
  query AdminPrivacy($kind: LegalDocumentKind!) {
    erasureRequests {
      id
      status
      userId
      userEmail
      reason
      requestedAt
      dueAt
      decisionReason
    }
    legalDocumentVersions(kind: $kind) {
      id
      version
      title
      body
      publishedAt
    }
    privacySettings {
      erasureWindowDays
      clickRetentionDays
      pageViewRetentionDays
    }
  }
`);

export const ErasureProcessMutation = graphql(`
  mutation ErasureProcess($id: ID!) {
    erasureProcess(id: $id) {
      erasureRequest {
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

export const ErasureRefuseMutation = graphql(`
  mutation ErasureRefuse($id: ID!, $reason: String!) {
    erasureRefuse(id: $id, reason: $reason) {
      erasureRequest {
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

export const LegalDocumentPublishMutation = graphql(`
  mutation LegalDocumentPublish($input: LegalDocumentPublishInput!) {
    legalDocumentPublish(input: $input) {
      document {
        id
        version
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PrivacySettingsUpdateMutation = graphql(`
  mutation PrivacySettingsUpdate($input: PrivacySettingsInput!) {
    privacySettingsUpdate(input: $input) {
      settings {
        erasureWindowDays
        clickRetentionDays
        pageViewRetentionDays
      }
      errors {
        field
        code
        message
      }
    }
  }
`);
