import { useQuery } from "urql";

import { QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";

export const EventCatalogueQuery = graphql(`
  query EventCatalogue {
    eventTypes {
      name
      version
      description
      subscribable
      jsonSchema
      fields {
        name
        type
        description
        nullable
      }
    }
  }
`);

/** For developers: every event a webhook endpoint can receive, its payload fields and JSON Schema. */
export default function EventCatalogue() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: EventCatalogueQuery });
  return (
    <div className="stack">
      <PageHeader title={t("catalogue.title")} subtitle={t("catalogue.subtitle")} />
      <div className="alert alert-info">
        <p>{t("catalogue.signing")}</p>
      </div>
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
        {(data) => (
          <>
            {data.eventTypes.map((event) => (
              <Card
                key={event.name}
                title={<code id={`event-${event.name}`}>{event.name}</code>}
                actions={
                  <>
                    <Badge tone="info">{t("catalogue.version", { version: event.version })}</Badge>{" "}
                    {event.subscribable ? null : <Badge>{t("catalogue.onRequest")}</Badge>}
                  </>
                }
              >
                <div data-testid="catalogue-event">
                  <p>{event.description}</p>
                  <div className="table-wrap" tabIndex={0}>
                    <table className="table table-compact">
                      <caption className="visually-hidden">{event.name}</caption>
                      <thead>
                        <tr>
                          <th scope="col">{t("catalogue.field")}</th>
                          <th scope="col">{t("catalogue.type")}</th>
                          <th scope="col">{t("catalogue.description")}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {event.fields.map((field) => (
                          <tr key={field.name}>
                            <td>
                              <code>{field.name}</code>
                            </td>
                            <td>
                              <code>{field.type}</code>
                              {field.nullable ? <span className="muted small"> {t("catalogue.nullable")}</span> : null}
                            </td>
                            <td>{field.description}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <details className="disclosure">
                    <summary>{t("catalogue.schema")}</summary>
                    <pre className="code-block">
                      <code>{JSON.stringify(event.jsonSchema, null, 2)}</code>
                    </pre>
                  </details>
                </div>
              </Card>
            ))}
          </>
        )}
      </QueryState>
    </div>
  );
}
