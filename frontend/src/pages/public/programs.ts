/** The brand's programs as every visitor sees them (public pages, signup, dashboards). */
import { useQuery } from "urql";

import { graphql } from "../../gql";
import type { ProgramPublicFieldsFragment } from "../../gql/graphql";
import type { I18n } from "../../i18n";

export const ProgramPublicFields = graphql(`
  fragment ProgramPublicFields on Program {
    id
    slug
    name
    description
    landingUrl
    allowedDomains
    currency
    isActive
    autoApprove
    commissionKind
    flatAmount {
      amount
      currency
    }
    perClickAmount {
      amount
      currency
    }
    recurringMode
    recurringMonths
    cascadeRates
    holdDays
    cookieWindowDays
    attributionModel
    minimumWithdrawal {
      amount
      currency
    }
    maxOrderValue {
      amount
      currency
    }
    withdrawalMethods
    tiers {
      code
      label
      rate
      isDefault
    }
  }
`);

export const ProgramsQuery = graphql(`
  query Programs {
    programs {
      ...ProgramPublicFields
    }
  }
`);

export type ProgramInfo = ProgramPublicFieldsFragment;

export function usePrograms() {
  const [result, reexecute] = useQuery({ query: ProgramsQuery });
  const programs = result.data?.programs ?? [];
  return { result, programs, active: programs.filter((program) => program.isActive), reexecute };
}

/** The best rate of a percentage program ("30"), compared as decimals, not floats. */
export function topRate(program: ProgramInfo): string | null {
  let best: string | null = null;
  for (const tier of program.tiers) {
    if (best === null || compareDecimals(tier.rate, best) > 0) best = tier.rate;
  }
  return best;
}

/** Compares two non-negative decimal strings exactly. */
export function compareDecimals(a: string, b: string): number {
  const [ai, af = ""] = a.split(".");
  const [bi, bf = ""] = b.split(".");
  const intA = ai.replace(/^0+/, "");
  const intB = bi.replace(/^0+/, "");
  if (intA.length !== intB.length) return intA.length - intB.length;
  if (intA !== intB) return intA < intB ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const fa = af.padEnd(width, "0");
  const fb = bf.padEnd(width, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** "Up to 30 % per sale", "€5.00 per sale", "€0.10 per click". */
export function commissionHeadline(program: ProgramInfo, i18n: I18n): string {
  if (program.commissionKind === "FLAT") return i18n.t("program.flatHeadline", { amount: i18n.money(program.flatAmount) });
  if (program.commissionKind === "PER_CLICK")
    return i18n.t("program.perClickHeadline", { amount: i18n.money(program.perClickAmount) });
  const rate = topRate(program);
  return rate ? i18n.t("program.percentHeadline", { rate: i18n.percent(rate) }) : i18n.t("program.percentPlain");
}
