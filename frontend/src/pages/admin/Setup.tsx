import { Link } from "react-router";
import { useQuery } from "urql";

import { QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";

export const BrandSetupChecklistQuery = graphql(`
  query BrandSetupChecklist {
    brandSetupChecklist {
      completed
      total
      items {
        step
        done
        path
      }
    }
  }
`);

/** The brand admin's home: the setup checklist, computed by the server from the brand's state. */
export default function Setup() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: BrandSetupChecklistQuery, requestPolicy: "cache-and-network" });
  return (
    <div className="stack">
      <PageHeader title={t("setup.title")} subtitle={t("setup.subtitle")} />
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
        {(data) => {
          const { completed, total, items } = data.brandSetupChecklist;
          return (
            <Card title={completed === total ? t("setup.allDone") : t("setup.progress", { done: completed, total })}>
              <progress max={total} value={completed} aria-label={t("setup.progress", { done: completed, total })} />
              <ol className="stack" data-testid="setup-checklist">
                {items.map((item) => (
                  <li key={item.step} data-testid="setup-step" data-done={item.done}>
                    <Link to={item.path}>{t(`setup.${item.step}`)}</Link>{" "}
                    <Badge tone={item.done ? "success" : "warning"}>{item.done ? t("setup.done") : t("setup.todo")}</Badge>
                  </li>
                ))}
              </ol>
            </Card>
          );
        }}
      </QueryState>
    </div>
  );
}
