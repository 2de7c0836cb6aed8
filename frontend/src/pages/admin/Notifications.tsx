/**
 * The brand's messaging channels (Telegram, Discord, WhatsApp): which events each receives, a
 * test message with the provider's answer, and the last delivery's outcome. Secrets are write-only:
 * the API returns their last four characters, and an empty secret field on edit keeps the current one.
 */
import { useState, type ReactNode } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import type { UserError } from "../../api/errors";
import { CheckboxField, ChoiceGroup, Form, FormErrors, SelectField, SubmitButton, TextField, useErrorMessage } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, Dialog, PageHeader, Pager } from "../../components/ui";
import { graphql } from "../../gql";
import type { NotificationChannelFieldsFragment, NotificationChannelKind, NotificationEvent } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const NotificationChannelsQuery = graphql(`
  query NotificationChannels($first: Int!, $after: String) {
    notificationChannels(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...NotificationChannelFields
        }
      }
    }
  }

  fragment NotificationChannelFields on NotificationChannel {
    id
    kind
    label
    enabled
    events
    chatId
    webhookId
    phoneNumberId
    recipientPhone
    secretHint
    lastSentAt
    lastError
    lastErrorAt
  }
`);

export const NotificationChannelConfigureMutation = graphql(`
  mutation NotificationChannelConfigure($input: NotificationChannelConfigureInput!) {
    notificationChannelConfigure(input: $input) {
      channel {
        ...NotificationChannelFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const NotificationChannelDeleteMutation = graphql(`
  mutation NotificationChannelDelete($id: ID!) {
    notificationChannelDelete(id: $id) {
      deletedId
      errors {
        field
        code
        message
      }
    }
  }
`);

export const NotificationChannelTestMutation = graphql(`
  mutation NotificationChannelTest($id: ID!) {
    notificationChannelTest(id: $id) {
      channel {
        ...NotificationChannelFields
      }
      messageId
      errors {
        field
        code
        message
      }
    }
  }
`);

type Channel = NotificationChannelFieldsFragment;
type Editing = { channel: Channel | null } | null;

const PAGE_SIZE = 50;
const KINDS: NotificationChannelKind[] = ["TELEGRAM", "DISCORD", "WHATSAPP"];
const EVENTS: NotificationEvent[] = ["PAYMENT_CONFIRMED", "INVOICE_CREATED", "WITHDRAWAL_REQUESTED", "MANUAL_PAYMENT_SUBMITTED", "CONTACT_RECEIVED"];
/** Errors whose message is the provider's own explanation: shown as is, in every language. */
const PROVIDER_CODES = new Set(["DELIVERY_FAILED", "RATE_LIMITED"]);

function destination(channel: Channel): string {
  if (channel.kind === "TELEGRAM") return channel.chatId ?? "";
  if (channel.kind === "DISCORD") return channel.webhookId ?? "";
  return [channel.phoneNumberId, channel.recipientPhone].filter(Boolean).join(" → ");
}

function ChannelDialog({ editing, onClose, onSaved }: { editing: Editing; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const channel = editing?.channel ?? null;
  const [form, setForm] = useState(() => blank());
  const [openedFor, setOpenedFor] = useState<Editing>(null);
  const save = useFormMutation(NotificationChannelConfigureMutation, (data) => data.notificationChannelConfigure);
  /** The form for ``channel``: its settings, never its secret (the API does not return it). */
  function blank() {
    return {
      kind: (channel?.kind ?? "TELEGRAM") as NotificationChannelKind,
      label: channel?.label ?? "",
      enabled: channel?.enabled ?? true,
      events: (channel?.events ?? []) as string[],
      chatId: channel?.chatId ?? "",
      botToken: "",
      webhookUrl: "",
      phoneNumberId: channel?.phoneNumberId ?? "",
      recipientPhone: channel?.recipientPhone ?? "",
      accessToken: "",
    };
  }
  if (editing !== openedFor) {
    setOpenedFor(editing);
    setForm(blank());
    save.setErrors([]);
  }
  type Values = ReturnType<typeof blank>;
  const set = <K extends keyof Values>(key: K) => (value: Values[K]) => setForm((current) => ({ ...current, [key]: value }));
  const keepHint = channel ? t("notifications.keepSecret", { hint: channel.secretHint }) : undefined;
  const submit = async () => {
    const input = {
      id: channel?.id ?? null,
      kind: form.kind,
      label: form.label.trim(),
      enabled: form.enabled,
      events: form.events as NotificationEvent[],
      chatId: form.kind === "TELEGRAM" ? form.chatId.trim() : "",
      botToken: form.kind === "TELEGRAM" ? form.botToken.trim() : "",
      webhookUrl: form.kind === "DISCORD" ? form.webhookUrl.trim() : "",
      phoneNumberId: form.kind === "WHATSAPP" ? form.phoneNumberId.trim() : "",
      recipientPhone: form.kind === "WHATSAPP" ? form.recipientPhone.trim() : "",
      accessToken: form.kind === "WHATSAPP" ? form.accessToken.trim() : "",
    };
    if (await save.run({ input })) {
      onSaved();
      onClose();
    }
  };
  return (
    <Dialog open={editing !== null} title={channel ? t("notifications.editTitle") : t("notifications.addTitle")} onClose={onClose}>
      {editing ? (
        <Form onSubmit={submit} errors={save.errors} busy={save.fetching} aria-label={channel ? t("notifications.editTitle") : t("notifications.addTitle")}>
          <div className="form-grid">
            <SelectField
              name="kind"
              label={t("notifications.kind")}
              hint={channel ? t("notifications.kindFixed") : undefined}
              value={form.kind}
              onChange={(value) => set("kind")(value as NotificationChannelKind)}
              options={KINDS.map((kind) => ({ value: kind, label: t(`channelKind.${kind}`) }))}
              disabled={channel !== null}
            />
            <TextField name="label" label={t("notifications.label")} hint={t("common.optional")} value={form.label} onChange={set("label")} maxLength={80} />
            {form.kind === "TELEGRAM" ? (
              <>
                <TextField name="chatId" label={t("notifications.chatId")} hint={t("notifications.chatIdHint")} value={form.chatId} onChange={set("chatId")} autoComplete="off" />
                <TextField name="botToken" label={t("notifications.botToken")} hint={keepHint ?? t("notifications.botTokenHint")} value={form.botToken} onChange={set("botToken")} type="password" autoComplete="off" />
              </>
            ) : null}
            {form.kind === "DISCORD" ? (
              <TextField
                name="webhookUrl"
                label={t("notifications.webhookUrl")}
                hint={channel ? t("notifications.keepWebhook", { hint: channel.secretHint }) : t("notifications.webhookUrlHint")}
                value={form.webhookUrl}
                onChange={set("webhookUrl")}
                type="password"
                autoComplete="off"
                className="span-2"
              />
            ) : null}
            {form.kind === "WHATSAPP" ? (
              <>
                <TextField name="phoneNumberId" label={t("notifications.phoneNumberId")} hint={t("notifications.phoneNumberIdHint")} value={form.phoneNumberId} onChange={set("phoneNumberId")} inputMode="numeric" autoComplete="off" />
                <TextField name="recipientPhone" label={t("notifications.recipientPhone")} hint={t("notifications.recipientPhoneHint")} value={form.recipientPhone} onChange={set("recipientPhone")} type="tel" autoComplete="off" />
                <TextField name="accessToken" label={t("notifications.accessToken")} hint={keepHint ?? t("notifications.accessTokenHint")} value={form.accessToken} onChange={set("accessToken")} type="password" autoComplete="off" className="span-2" />
              </>
            ) : null}
          </div>
          <ChoiceGroup
            name="events"
            legend={t("notifications.events")}
            type="checkbox"
            options={EVENTS.map((event) => ({ value: event, label: t(`notificationEvent.${event}`) }))}
            value={form.events}
            onChange={set("events")}
          />
          <CheckboxField name="enabled" label={t("notifications.enabled")} hint={t("notifications.enabledHint")} checked={form.enabled} onChange={set("enabled")} />
          <FormErrors />
          <div className="button-row">
            <button type="button" className="button button-ghost" onClick={onClose}>
              {t("common.cancel")}
            </button>
            <SubmitButton>{t("common.save")}</SubmitButton>
          </div>
        </Form>
      ) : null}
    </Dialog>
  );
}

function DeleteDialog({ channel, onClose, onDeleted }: { channel: Channel | null; onClose: () => void; onDeleted: () => void }) {
  const { t } = useI18n();
  const remove = useFormMutation(NotificationChannelDeleteMutation, (data) => data.notificationChannelDelete);
  const [openedFor, setOpenedFor] = useState<Channel | null>(null);
  if (channel !== openedFor) {
    setOpenedFor(channel);
    remove.setErrors([]);
  }
  const submit = async () => {
    if (channel && (await remove.run({ id: channel.id }))) {
      onDeleted();
      onClose();
    }
  };
  return (
    <Dialog open={channel !== null} title={t("notifications.deleteTitle")} onClose={onClose}>
      {channel ? (
        <Form onSubmit={submit} errors={remove.errors} busy={remove.fetching}>
          <p>{t("notifications.deleteConfirm", { name: channel.label || t(`channelKind.${channel.kind}`) })}</p>
          <FormErrors />
          <div className="button-row">
            <button type="button" className="button button-ghost" onClick={onClose}>
              {t("common.cancel")}
            </button>
            <SubmitButton variant="danger">{t("notifications.delete")}</SubmitButton>
          </div>
        </Form>
      ) : null}
    </Dialog>
  );
}

type TestOutcome = { id: string; messageId: string | null; failed: boolean };

function ChannelCard({ channel, testing, outcome, onTest, onEdit, onDelete }: { channel: Channel; testing: boolean; outcome: { messageId: string | null; errors: UserError[] } | null; onTest: () => void; onEdit: () => void; onDelete: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const message = useErrorMessage();
  const kind = t(`channelKind.${channel.kind}`);
  const facts: [string, ReactNode][] = [
    [t("notifications.destination"), <code>{destination(channel) || "—"}</code>],
    [t("notifications.secret"), <code data-testid="secret-hint">{`…${channel.secretHint}`}</code>],
    [t("notifications.events"), channel.events.map((event) => t(`notificationEvent.${event}`)).join(", ")],
    [t("notifications.lastSent"), channel.lastSentAt ? i18n.dateTime(channel.lastSentAt) : t("notifications.never")],
  ];
  return (
    <Card
      title={channel.label || kind}
      actions={
        <>
          <Badge tone="info">{kind}</Badge> {channel.enabled ? <Badge tone="success">{t("notifications.on")}</Badge> : <Badge>{t("notifications.off")}</Badge>}
        </>
      }
    >
      <dl className="facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {channel.lastError ? (
        <p className="alert alert-error small" data-testid="last-error">
          {t("notifications.lastError", { date: i18n.dateTime(channel.lastErrorAt) })} {channel.lastError}
        </p>
      ) : null}
      {outcome ? (
        outcome.errors.length ? (
          <div className="alert alert-error" role="alert" data-testid="test-outcome">
            <p>{t("notifications.testFailed")}</p>
            {outcome.errors.map((error, index) => (
              <p key={index}>{PROVIDER_CODES.has(error.code) && error.message ? error.message : message(error)}</p>
            ))}
          </div>
        ) : (
          <p className="alert alert-success" role="status" data-testid="test-outcome">
            {t("notifications.testSent")}
            {outcome.messageId ? ` ${t("notifications.messageId", { id: outcome.messageId })}` : null}
          </p>
        )
      ) : null}
      <div className="button-row">
        <button type="button" className="button button-primary button-small" disabled={testing} onClick={onTest}>
          {testing ? <span className="spinner spinner-inline" aria-hidden="true" /> : null}
          {t("notifications.test")}
        </button>
        <button type="button" className="button button-secondary button-small" onClick={onEdit}>
          {t("notifications.edit")}
        </button>
        <button type="button" className="button button-ghost button-small" onClick={onDelete}>
          {t("notifications.delete")}
        </button>
      </div>
    </Card>
  );
}

export default function Notifications() {
  const { t } = useI18n();
  const [after, setAfter] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Channel | null>(null);
  const [testingId, setTestingId] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<TestOutcome | null>(null);
  const [result, reexecute] = useQuery({ query: NotificationChannelsQuery, variables: { first: PAGE_SIZE, after }, requestPolicy: "cache-and-network" });
  const test = useFormMutation(NotificationChannelTestMutation, (data) => data.notificationChannelTest);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const sendTest = async (channel: Channel) => {
    setTestingId(channel.id);
    setOutcome(null);
    // A failure's errors (the provider's explanation) stay in test.errors.
    const data = await test.run({ id: channel.id });
    setOutcome({ id: channel.id, messageId: data?.notificationChannelTest.messageId ?? null, failed: data === null });
    setTestingId(null);
    refresh();
  };
  const add = (
    <button type="button" className="button button-primary" onClick={() => setEditing({ channel: null })}>
      {t("notifications.add")}
    </button>
  );
  return (
    <div className="stack">
      <PageHeader title={t("notifications.title")} subtitle={t("notifications.subtitle")} actions={add} />
      <QueryState
        result={result}
        retry={refresh}
        isEmpty={(data) => data.notificationChannels.edges.length === 0}
        empty={
          <Card>
            <Empty title={t("notifications.empty")} action={add}>
              {t("notifications.emptyHint")}
            </Empty>
          </Card>
        }
      >
        {(data) => (
          <>
            <ul className="stack" data-testid="notification-channels">
              {data.notificationChannels.edges.map(({ node }) => (
                <li key={node.id} data-testid="notification-channel" data-id={node.id}>
                  <ChannelCard
                    channel={node}
                    testing={testingId === node.id}
                    outcome={outcome?.id === node.id ? { messageId: outcome.messageId, errors: outcome.failed ? test.errors : [] } : null}
                    onTest={() => void sendTest(node)}
                    onEdit={() => setEditing({ channel: node })}
                    onDelete={() => setDeleting(node)}
                  />
                </li>
              ))}
            </ul>
            <Pager after={after} pageInfo={data.notificationChannels.pageInfo} onPage={setAfter} />
          </>
        )}
      </QueryState>
      <ChannelDialog editing={editing} onClose={() => setEditing(null)} onSaved={refresh} />
      <DeleteDialog channel={deleting} onClose={() => setDeleting(null)} onDeleted={refresh} />
    </div>
  );
}
