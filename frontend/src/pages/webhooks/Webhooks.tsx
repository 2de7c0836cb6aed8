import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { CheckboxField, ChoiceGroup, Form, FormErrors, SubmitButton, TextField, useErrorMessage } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, CopyButton, PageHeader, Pager } from "../../components/ui";
import { graphql } from "../../gql";
import type { WebhookDeliveryStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const WebhookEndpointsQuery = graphql(`
  query WebhookEndpoints {
    webhookEndpoints(first: 50) {
      edges {
        node {
          ...WebhookEndpointFields
        }
      }
    }
    eventTypes {
      name
      subscribable
    }
  }

  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    description
    allEvents
    eventTypes
    secretHint
    isEnabled
    disabledReason
    failingSince
    createdAt
  }
`);

export const WebhookDeliveriesQuery = graphql(`
  query WebhookDeliveries($endpointId: ID!, $after: String) {
    webhookDeliveries(endpointId: $endpointId, first: 20, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          eventId
          eventType
          status
          attemptCount
          nextAttemptAt
          createdAt
          payload
          attempts {
            id
            createdAt
            trigger
            isSuccess
            responseStatusCode
            responseBody
            durationMs
            error
          }
        }
      }
    }
  }
`);

export const WebhookEndpointCreateMutation = graphql(`
  mutation WebhookEndpointCreate($input: WebhookEndpointCreateInput!) {
    webhookEndpointCreate(input: $input) {
      endpoint {
        ...WebhookEndpointFields
      }
      secret
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WebhookEndpointUpdateMutation = graphql(`
  mutation WebhookEndpointUpdate($id: ID!, $input: WebhookEndpointUpdateInput!) {
    webhookEndpointUpdate(id: $id, input: $input) {
      endpoint {
        ...WebhookEndpointFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WebhookEndpointDeleteMutation = graphql(`
  mutation WebhookEndpointDelete($id: ID!) {
    webhookEndpointDelete(id: $id) {
      deletedId
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WebhookEndpointSecretRotateMutation = graphql(`
  mutation WebhookEndpointSecretRotate($id: ID!) {
    webhookEndpointSecretRotate(id: $id) {
      endpoint {
        ...WebhookEndpointFields
      }
      secret
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WebhookEndpointTestMutation = graphql(`
  mutation WebhookEndpointTest($id: ID!) {
    webhookEndpointTest(id: $id) {
      delivery {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WebhookDeliveryReplayMutation = graphql(`
  mutation WebhookDeliveryReplay($id: ID!) {
    webhookDeliveryReplay(id: $id) {
      delivery {
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

const DELIVERY_TONES: Record<WebhookDeliveryStatus, "info" | "success" | "danger"> = {
  PENDING: "info",
  SUCCESS: "success",
  FAILED: "danger",
};

interface Shown {
  url: string;
  secret: string;
}

function SecretShownOnce({ shown }: { shown: Shown }) {
  const { t } = useI18n();
  return (
    <div className="alert alert-success token-secret" role="status">
      <p>{t("webhooks.secretShownOnce", { url: shown.url })}</p>
      <code className="secret" data-testid="webhook-secret">
        {shown.secret}
      </code>
      <CopyButton text={shown.secret} />
      <p className="small">{t("webhooks.secretHelp")}</p>
    </div>
  );
}

function EndpointForm({ eventNames, onCreated }: { eventNames: string[]; onCreated: (shown: Shown) => void }) {
  const { t } = useI18n();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [allEvents, setAllEvents] = useState(false);
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const create = useFormMutation(WebhookEndpointCreateMutation, (data) => data.webhookEndpointCreate);
  const submit = async () => {
    const data = await create.run({ input: { url, description, allEvents, eventTypes: allEvents ? [] : eventTypes } });
    const payload = data?.webhookEndpointCreate;
    if (payload?.endpoint && payload.secret) {
      onCreated({ url: payload.endpoint.url, secret: payload.secret });
      setUrl("");
      setDescription("");
      setEventTypes([]);
      setAllEvents(false);
    }
  };
  return (
    <Card title={t("webhooks.create")}>
      <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("webhooks.create")}>
        <TextField name="url" type="url" label={t("webhooks.url")} hint={t("webhooks.urlHint")} value={url} onChange={setUrl} placeholder="https://" required />
        <TextField name="description" label={t("webhooks.description")} value={description} onChange={setDescription} />
        <CheckboxField name="allEvents" label={t("webhooks.allEvents")} checked={allEvents} onChange={setAllEvents} />
        {allEvents ? null : (
          <ChoiceGroup
            name="eventTypes"
            type="checkbox"
            legend={t("webhooks.eventTypes")}
            value={eventTypes}
            onChange={setEventTypes}
            options={eventNames.map((name) => ({ value: name, label: <code>{name}</code> }))}
          />
        )}
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("webhooks.add")}</SubmitButton>
        </div>
      </Form>
    </Card>
  );
}

function DeliveryLog({ endpointId, url }: { endpointId: string; url: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const message = useErrorMessage();
  const [after, setAfter] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [result, reexecute] = useQuery({ query: WebhookDeliveriesQuery, variables: { endpointId, after }, requestPolicy: "cache-and-network" });
  const replay = useFormMutation(WebhookDeliveryReplayMutation, (data) => data.webhookDeliveryReplay);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const runReplay = async (id: string) => {
    setNotice(null);
    if (await replay.run({ id })) {
      setNotice(t("webhooks.replayed"));
      window.setTimeout(refresh, 1500);
    }
  };
  return (
    <Card title={t("webhooks.log", { url })} actions={<button type="button" className="button button-ghost button-small" onClick={refresh}>{t("webhooks.refresh")}</button>}>
      {replay.errors.length ? (
        <div className="alert alert-error" role="alert">
          {replay.errors.map((error, index) => (
            <p key={index}>{message(error)}</p>
          ))}
        </div>
      ) : null}
      <div className="live-region" role="status">
        {notice ? (
          <p className="saved">
            {notice}
          </p>
        ) : null}
      </div>
      <QueryState result={result} retry={refresh} isEmpty={(data) => data.webhookDeliveries.edges.length === 0} empty={<Empty title={t("webhooks.logEmpty")} />}>
        {(data) => (
          <>
            <div className="table-wrap" tabIndex={0}>
              <table className="table" data-testid="webhook-deliveries">
                <caption className="visually-hidden">{t("webhooks.log", { url })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("webhooks.event")}</th>
                    <th scope="col">{t("webhooks.status")}</th>
                    <th scope="col">{t("webhooks.attempts")}</th>
                    <th scope="col">{t("webhooks.created")}</th>
                    <th scope="col">{t("common.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.webhookDeliveries.edges.map(({ node: delivery }) => (
                    <tr key={delivery.id} data-testid="webhook-delivery">
                      <td>
                        <code>{delivery.eventType}</code>
                        <span className="muted small block">
                          {t("webhooks.webhookId")}: <code>{delivery.eventId}</code>
                        </span>
                        <details className="disclosure">
                          <summary>{t("webhooks.attemptsOf", { event: delivery.eventType })}</summary>
                          <div className="table-wrap" tabIndex={0}>
                            <table className="table table-compact">
                              <thead>
                                <tr>
                                  <th scope="col">{t("webhooks.attemptTime")}</th>
                                  <th scope="col">{t("webhooks.trigger")}</th>
                                  <th scope="col">{t("webhooks.response")}</th>
                                  <th scope="col">{t("webhooks.latency")}</th>
                                  <th scope="col">{t("webhooks.error")}</th>
                                </tr>
                              </thead>
                              <tbody>
                                {delivery.attempts.map((attempt) => (
                                  <tr key={attempt.id} data-testid="webhook-attempt">
                                    <td>{i18n.dateTime(attempt.createdAt)}</td>
                                    <td>{t(`webhooks.trigger.${attempt.trigger}`)}</td>
                                    <td>
                                      <Badge tone={attempt.isSuccess ? "success" : "danger"}>{attempt.responseStatusCode ?? "—"}</Badge>
                                      {attempt.responseBody ? <code className="block small response-excerpt">{attempt.responseBody}</code> : null}
                                    </td>
                                    <td>{t("webhooks.latencyMs", { ms: i18n.number(attempt.durationMs) })}</td>
                                    <td className="small">{attempt.error}</td>
                                  </tr>
                                ))}
                              </tbody>
                            </table>
                          </div>
                          <p className="small muted">{t("webhooks.payload")}</p>
                          <pre className="code-block">
                            <code>{JSON.stringify(delivery.payload, null, 2)}</code>
                          </pre>
                        </details>
                      </td>
                      <td>
                        <Badge tone={DELIVERY_TONES[delivery.status]}>{t(`webhooks.delivery.${delivery.status}`)}</Badge>
                        {delivery.nextAttemptAt ? <span className="muted small block">{t("webhooks.nextAttempt", { date: i18n.dateTime(delivery.nextAttemptAt) })}</span> : null}
                      </td>
                      <td>{delivery.attemptCount}</td>
                      <td>{i18n.dateTime(delivery.createdAt)}</td>
                      <td>
                        <button type="button" className="button button-secondary button-small" disabled={replay.fetching} onClick={() => void runReplay(delivery.id)}>
                          {t("webhooks.replay")}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager after={after} pageInfo={data.webhookDeliveries.pageInfo} onPage={setAfter} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

/** Brand admins: webhook endpoints (add, test, rotate, disable, delete) and their delivery logs. */
export default function Webhooks() {
  const i18n = useI18n();
  const { t } = i18n;
  const message = useErrorMessage();
  const [result, reexecute] = useQuery({ query: WebhookEndpointsQuery, requestPolicy: "cache-and-network" });
  const [shown, setShown] = useState<Shown | null>(null);
  const [selected, setSelected] = useState<{ id: string; url: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const update = useFormMutation(WebhookEndpointUpdateMutation, (data) => data.webhookEndpointUpdate);
  const remove = useFormMutation(WebhookEndpointDeleteMutation, (data) => data.webhookEndpointDelete);
  const rotate = useFormMutation(WebhookEndpointSecretRotateMutation, (data) => data.webhookEndpointSecretRotate);
  const test = useFormMutation(WebhookEndpointTestMutation, (data) => data.webhookEndpointTest);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const busy = update.fetching || remove.fetching || rotate.fetching || test.fetching;
  const errors = [...update.errors, ...remove.errors, ...rotate.errors, ...test.errors];
  const eventNames = (result.data?.eventTypes ?? []).filter((event) => event.subscribable).map((event) => event.name);

  const onRotate = async (id: string, url: string) => {
    if (!window.confirm(t("webhooks.rotateConfirm", { url }))) return;
    const data = await rotate.run({ id });
    const secret = data?.webhookEndpointSecretRotate.secret;
    if (secret) setShown({ url, secret });
  };
  const onDelete = async (id: string, url: string) => {
    if (!window.confirm(t("webhooks.deleteConfirm", { url }))) return;
    if (await remove.run({ id })) {
      if (selected?.id === id) setSelected(null);
      refresh();
    }
  };
  const onTest = async (id: string, url: string) => {
    setNotice(null);
    if (await test.run({ id })) {
      setNotice(t("webhooks.testSent"));
      setSelected({ id, url });
    }
  };

  return (
    <div className="stack">
      <PageHeader
        title={t("webhooks.title")}
        subtitle={
          <>
            {t("webhooks.subtitle")} <Link to="/developers/events">{t("webhooks.catalogueLink")}</Link>
          </>
        }
      />
      {shown ? <SecretShownOnce shown={shown} /> : null}
      <EndpointForm
        eventNames={eventNames}
        onCreated={(created) => {
          setShown(created);
          refresh();
        }}
      />
      <Card title={t("webhooks.endpoints")}>
        {errors.length ? (
          <div className="alert alert-error" role="alert">
            {errors.map((error, index) => (
              <p key={index}>{message(error)}</p>
            ))}
          </div>
        ) : null}
        <div className="live-region" role="status">
          {notice ? (
            <p className="saved">
              {notice}
            </p>
          ) : null}
        </div>
        <QueryState result={result} retry={refresh} isEmpty={(data) => data.webhookEndpoints.edges.length === 0} empty={<Empty title={t("webhooks.empty")} />}>
          {(data) => (
            <div className="table-wrap" tabIndex={0}>
              <table className="table" data-testid="webhook-endpoints">
                <caption className="visually-hidden">{t("webhooks.endpoints")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("webhooks.url")}</th>
                    <th scope="col">{t("webhooks.events")}</th>
                    <th scope="col">{t("webhooks.status")}</th>
                    <th scope="col">{t("common.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.webhookEndpoints.edges.map(({ node: endpoint }) => (
                    <tr key={endpoint.id} data-testid="webhook-endpoint">
                      <td>
                        <strong className="break-all">{endpoint.url}</strong>
                        {endpoint.description ? <span className="muted small block">{endpoint.description}</span> : null}
                        <span className="muted small block">
                          <code>{endpoint.secretHint}…</code>
                        </span>
                      </td>
                      <td title={endpoint.eventTypes.join(", ")}>{endpoint.allEvents ? t("webhooks.eventsAll") : t("webhooks.eventsCount", { count: endpoint.eventTypes.length })}</td>
                      <td>
                        {endpoint.isEnabled ? (
                          <Badge tone="success">{t("webhooks.enabled")}</Badge>
                        ) : (
                          <Badge tone={endpoint.disabledReason === "FAILING" ? "danger" : "neutral"}>
                            {endpoint.disabledReason === "FAILING" ? t("webhooks.disabledFailing") : t("webhooks.disabledAdmin")}
                          </Badge>
                        )}
                        {endpoint.failingSince ? <span className="muted small block">{t("webhooks.failingSince", { date: i18n.dateTime(endpoint.failingSince) })}</span> : null}
                      </td>
                      <td>
                        <div className="button-row">
                          <button type="button" className="button button-secondary button-small" aria-pressed={selected?.id === endpoint.id} onClick={() => setSelected({ id: endpoint.id, url: endpoint.url })}>
                            {t("webhooks.deliveries")}
                          </button>
                          <button type="button" className="button button-ghost button-small" disabled={busy || !endpoint.isEnabled} onClick={() => void onTest(endpoint.id, endpoint.url)}>
                            {t("webhooks.sendTest")}
                          </button>
                          <button type="button" className="button button-ghost button-small" disabled={busy} onClick={() => void onRotate(endpoint.id, endpoint.url)}>
                            {t("webhooks.rotate")}
                          </button>
                          <button type="button" className="button button-ghost button-small" disabled={busy} onClick={() => void update.run({ id: endpoint.id, input: { isEnabled: !endpoint.isEnabled } }).then(refresh)}>
                            {endpoint.isEnabled ? t("webhooks.disable") : t("webhooks.enable")}
                          </button>
                          <button type="button" className="button button-ghost button-small" disabled={busy} onClick={() => void onDelete(endpoint.id, endpoint.url)}>
                            {t("webhooks.delete")}
                          </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryState>
      </Card>
      {selected ? <DeliveryLog key={selected.id} endpointId={selected.id} url={selected.url} /> : null}
    </div>
  );
}
