import { graphql } from "../../gql";

export const LinkFields = graphql(`
  fragment LinkFields on Link {
    id
    code
    url
    title
    targetUrl
    programId
    subIds
    utm
    createdAt
    archivedAt
    stats {
      clicks
      uniqueClicks
      conversions
      conversionRate
      revenue {
        amount
        currency
      }
      earnings {
        amount
        currency
      }
      earningsPerClick {
        amount
        currency
      }
    }
  }
`);

export const MyLinksQuery = graphql(`
  query MyLinks($programId: ID, $includeArchived: Boolean!, $after: String) {
    myLinks(programId: $programId, includeArchived: $includeArchived, first: 50, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...LinkFields
        }
      }
    }
  }
`);

export const LinkCreateMutation = graphql(`
  mutation LinkCreate($input: LinkCreateInput!) {
    linkCreate(input: $input) {
      link {
        ...LinkFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const LinkArchiveMutation = graphql(`
  mutation LinkArchive($id: ID!) {
    linkArchive(id: $id) {
      link {
        id
        archivedAt
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const SUB_ID_KEYS = ["sub1", "sub2", "sub3", "sub4", "sub5"] as const;
export const UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] as const;

/** The QR code of a link on this origin (the server paints it in the brand's colour). */
export function qrUrl(code: string, format: "svg" | "png"): string {
  return `/links/${encodeURIComponent(code)}/qr.${format}?color=brand&scale=10`;
}

/** ``url`` with sub-ids and UTM parameters added at click time (the lane passes them on). */
export function trackingUrl(url: string, parameters: Record<string, string>): string {
  const result = new URL(url, window.location.origin);
  for (const [key, value] of Object.entries(parameters)) {
    if (value.trim()) result.searchParams.set(key, value.trim());
  }
  return result.toString();
}

/** Only the non-empty values, or null (the API's "not given"). */
export function compact(values: Record<string, string>): Record<string, string> | null {
  const entries = Object.entries(values).filter(([, value]) => value.trim() !== "");
  return entries.length ? Object.fromEntries(entries.map(([key, value]) => [key, value.trim()])) : null;
}

/**
 * The affiliate's live counters in a program (the dashboard's and the links page's ticks): a
 * snapshot first (`isSnapshot`), then each change's `delta`, in all and per link, which the pages
 * apply (see `api/liveStats`).
 */
export const AffiliateStatsSubscription = graphql(`
  subscription AffiliateStatsLive($programId: ID!) {
    affiliateStats(programId: $programId) {
      programId
      clicks
      uniqueClicks
      conversions
      earnings {
        amount
        currency
      }
      isSnapshot
      delta {
        clicks
        uniqueClicks
        conversions
        earnings {
          amount
          currency
        }
        links {
          linkId
          clicks
          uniqueClicks
          conversions
          earnings {
            amount
            currency
          }
        }
      }
    }
  }
`);
