/** The brand's current terms (/terms) or privacy policy (/privacy), public. */
import { useQuery } from "urql";

import { Empty, QueryState } from "../../components/states";
import { PageHeader } from "../../components/ui";
import type { LegalDocumentKind } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { LegalDocumentQuery } from "./documents";

function LegalPage({ kind }: { kind: LegalDocumentKind }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result] = useQuery({ query: LegalDocumentQuery, variables: { kind } });
  const fallback = kind === "TERMS" ? t("nav.terms") : t("nav.privacyPolicy");
  return (
    <QueryState
      result={result}
      isEmpty={(data) => data.legalDocument === null}
      empty={
        <div>
          <PageHeader title={fallback} />
          <Empty title={t("legal.notPublished")} />
        </div>
      }
    >
      {(data) =>
        data.legalDocument ? (
          <article className="legal-document">
            <PageHeader
              title={data.legalDocument.title}
              subtitle={t("legal.version", { version: data.legalDocument.version, date: i18n.date(data.legalDocument.publishedAt) })}
            />
            {data.legalDocument.body
              .split(/\n\s*\n/)
              .filter((part) => part.trim())
              .map((part, index) => (
                <p key={index} style={{ whiteSpace: "pre-line" }}>
                  {part}
                </p>
              ))}
          </article>
        ) : null
      }
    </QueryState>
  );
}

export function TermsPage() {
  return <LegalPage kind="TERMS" />;
}

export function PrivacyPolicyPage() {
  return <LegalPage kind="PRIVACY" />;
}
