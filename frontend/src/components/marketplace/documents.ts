/** GraphQL fragments shared by the marketplace, checkout, merchant and billing pages. */
import { graphql } from "../../gql";

export const DealCardFields = graphql(`
  fragment DealCardFields on Product {
    id
    slug
    title
    summary
    price {
      amount
      currency
    }
    originalPrice {
      amount
      currency
    }
    discountPercent
    expiresAt
    isFeatured
    isDealOfTheDay
    isAvailable
    isExpired
    stock
    soldCount
    location {
      address
    }
    images {
      id
      thumbnailUrl
      altText
    }
    merchant {
      id
      displayName
    }
    reviewSummary {
      count
      average
    }
  }
`);

export const DealFields = graphql(`
  fragment DealFields on Product {
    ...DealCardFields
    descriptionHtml
    status
    currency
    highlights
    included
    howItWorks
    conditions
    faq {
      question
      answer
    }
    location {
      address
      latitude
      longitude
    }
    minPerPurchase
    maxPerPurchase
    affiliationAutoApprove
    programId
    url
    images {
      id
      position
      url
      thumbnailUrl
      altText
      width
      height
    }
    categories {
      id
      name
      slug
      ancestors {
        id
        name
        slug
      }
    }
    merchant {
      id
      displayName
      slug
      description
      website
    }
    reviewSummary {
      count
      average
      distribution {
        rating
        count
      }
    }
    seo {
      title
      description
      canonicalUrl
      openGraphImage
      jsonLd
    }
  }
`);

export const BankTransferFields = graphql(`
  fragment BankTransferFields on BankTransferDetails {
    reference
    amount {
      amount
      currency
    }
    accountHolder
    bankName
    iban
    bic
    rib
    instructions
    payBefore
  }
`);

export const PaymentFields = graphql(`
  fragment PaymentFields on Payment {
    id
    reference
    provider
    purpose
    status
    amount {
      amount
      currency
    }
    orderNumber
    payerName
    payerEmail
    contactChannel
    contact
    transactionId
    createdAt
    submittedAt
    verifiedAt
    confirmedAt
    rejectedAt
    rejectionReason
    bankTransfer {
      ...BankTransferFields
    }
  }
`);

export const OrderFields = graphql(`
  fragment OrderFields on Order {
    id
    number
    status
    email
    total {
      amount
      currency
    }
    refundedAmount {
      amount
      currency
    }
    paymentProvider
    reservedUntil
    createdAt
    paidAt
    lines {
      id
      productId
      title
      quantity
      unitPrice {
        amount
        currency
      }
      lineTotal {
        amount
        currency
      }
      vouchers {
        id
        code
        status
        redeemedAt
      }
    }
    payment {
      ...PaymentFields
    }
  }
`);

export const InvoiceFields = graphql(`
  fragment InvoiceFields on Invoice {
    id
    number
    issuedAt
    customerName
    total {
      amount
      currency
    }
    vatAmount {
      amount
      currency
    }
    downloadUrl
  }
`);

export const MerchantPlanFields = graphql(`
  fragment MerchantPlanFields on MerchantPlan {
    id
    code
    name
    price {
      amount
      currency
    }
    interval
    productQuota
    platformFeeRate
    trialDays
    position
    isActive
  }
`);

export const PaymentSubmitTransactionMutation = graphql(`
  mutation PaymentSubmitTransaction($reference: String!, $transactionId: String!) {
    paymentSubmitTransaction(reference: $reference, transactionId: $transactionId) {
      payment {
        ...PaymentFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PaymentLiveSubscription = graphql(`
  subscription PaymentLive($reference: String) {
    paymentUpdated(reference: $reference) {
      ...PaymentFields
    }
  }
`);

export const InvoicesQuery = graphql(`
  query MyInvoices($after: String) {
    invoices(first: 20, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...InvoiceFields
        }
      }
    }
  }
`);

export const ReviewCreateMutation = graphql(`
  mutation ReviewCreate($productId: ID!, $rating: Int!, $title: String!, $body: String!) {
    reviewCreate(productId: $productId, rating: $rating, title: $title, body: $body) {
      review {
        id
        rating
        title
        body
        authorName
        createdAt
      }
      errors {
        field
        code
        message
      }
    }
  }
`);
