/**
 * What I am notified of, and how: one row per kind my role receives, one switch per method
 * (in the app, email, Telegram, WhatsApp). Messaging switches wait for a linked chat; Telegram
 * links by a one-time deep link to the brand's bot (the bot confirms in the chat).
 */
import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors } from "../../components/form";
import { QueryState } from "../../components/states";
import { Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { NotificationMethod, NotificationSettingsFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { useKindLabel } from "./Notifications";

export const NotificationSettingsQuery = graphql(`
  query NotificationSettings {
    notificationSettings {
      ...NotificationSettingsFields
    }
  }

  fragment NotificationSettingsFields on NotificationSettings {
    telegramAvailable
    telegramChat
    whatsappNumber
    kinds {
      kind
      label
      methods {
        method
        enabled
        available
      }
    }
  }
`);

export const NotificationPreferenceSetMutation = graphql(`
  mutation NotificationPreferenceSet($input: NotificationPreferenceSetInput!) {
    notificationPreferenceSet(input: $input) {
      settings {
        ...NotificationSettingsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TelegramLinkStartMutation = graphql(`
  mutation TelegramLinkStart {
    telegramLinkStart {
      url
      expiresAt
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MessagingLinkRemoveMutation = graphql(`
  mutation MessagingLinkRemove($method: NotificationMethod!) {
    messagingLinkRemove(method: $method) {
      settings {
        ...NotificationSettingsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

const METHODS = ["IN_APP", "EMAIL", "TELEGRAM", "WHATSAPP"] as NotificationMethod[];

export default function NotificationSettings() {
  const i18n = useI18n();
  const { t } = i18n;
  const kindLabel = useKindLabel();
  const [result, reexecute] = useQuery({ query: NotificationSettingsQuery, requestPolicy: "cache-and-network" });
  const save = useFormMutation(NotificationPreferenceSetMutation, (data) => data.notificationPreferenceSet);
  const link = useFormMutation(TelegramLinkStartMutation, (data) => data.telegramLinkStart);
  const unlink = useFormMutation(MessagingLinkRemoveMutation, (data) => data.messagingLinkRemove);
  const [deepLink, setDeepLink] = useState<{ url: string; expiresAt: string } | null>(null);
  // A switch moves at once; the server's answer confirms it, or a refusal puts it back.
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const [saved, setSaved] = useState<NotificationSettingsFieldsFragment | null>(null);

  const toggle = async (kind: string, method: NotificationMethod, enabled: boolean) => {
    const key = `${kind}/${method}`;
    setPending((current) => ({ ...current, [key]: enabled }));
    const data = await save.run({ input: { kind, method, enabled } });
    if (data) setSaved(data.notificationPreferenceSet.settings);
    setPending(({ [key]: _done, ...rest }) => rest);
  };
  const startLink = async () => {
    const data = await link.run({});
    const started = data?.telegramLinkStart;
    if (started?.url && started.expiresAt) setDeepLink({ url: started.url, expiresAt: started.expiresAt });
  };
  const removeLink = async () => {
    const data = await unlink.run({ method: "TELEGRAM" as NotificationMethod });
    if (data) setSaved(data.messagingLinkRemove.settings);
    setDeepLink(null);
  };

  return (
    <div className="stack">
      <PageHeader title={t("centre.settingsTitle")} subtitle={t("centre.settingsSubtitle")} />
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
        {(data) => {
          const settings = saved ?? data.notificationSettings;
          return (
            <>
              <Card>
                <Form errors={save.errors} busy={save.fetching} onSubmit={() => undefined}>
                  <FormErrors />
                  <div className="table-wrap" tabIndex={0}>
                    <table className="table notification-preferences" data-testid="notification-preferences">
                      <thead>
                        <tr>
                          <th scope="col">{t("centre.kind")}</th>
                          {METHODS.map((method) => (
                            <th scope="col" key={method}>
                              {t(`centre.method.${method}`)}
                            </th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {settings.kinds.map((kind) => (
                          <tr key={kind.kind} data-kind={kind.kind}>
                            <th scope="row">{kindLabel(kind.kind, kind.label)}</th>
                            {METHODS.map((method) => {
                              const setting = kind.methods.find((item) => item.method === method);
                              const methodLabel = t(`centre.method.${method}`);
                              if (!setting) {
                                return (
                                  <td key={method} className="muted small" data-label={methodLabel}>
                                    {t("centre.notOffered")}
                                  </td>
                                );
                              }
                              return (
                                <td key={method} data-label={methodLabel}>
                                  <input
                                    type="checkbox"
                                    checked={pending[`${kind.kind}/${method}`] ?? setting.enabled}
                                    disabled={!setting.available}
                                    title={setting.available ? undefined : t("centre.notLinked")}
                                    aria-label={t("centre.offered", { method: methodLabel, kind: kindLabel(kind.kind, kind.label) })}
                                    data-testid={`preference-${kind.kind}-${method}`}
                                    onChange={(event) => toggle(kind.kind, method, event.target.checked)}
                                  />
                                </td>
                              );
                            })}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </Form>
              </Card>
              <Card title={t("centre.telegramTitle")}>
                <Form errors={[...link.errors, ...unlink.errors]} busy={link.fetching || unlink.fetching} onSubmit={() => undefined}>
                  <FormErrors />
                  {!settings.telegramAvailable ? (
                    <p className="muted">{t("centre.telegramUnavailable")}</p>
                  ) : settings.telegramChat ? (
                    <div className="button-row">
                      <p data-testid="telegram-linked">{t("centre.telegramLinked", { chat: settings.telegramChat })}</p>
                      <button type="button" className="button button-ghost" onClick={removeLink}>
                        {t("centre.telegramUnlink")}
                      </button>
                    </div>
                  ) : (
                    <div className="stack">
                      <p className="muted">{t("centre.telegramUnlinked")}</p>
                      {deepLink ? (
                        <>
                          <a className="button button-primary" href={deepLink.url} target="_blank" rel="noopener noreferrer" data-testid="telegram-deep-link">
                            {t("centre.telegramOpen")}
                          </a>
                          <p className="muted small">{t("centre.telegramExpires", { time: i18n.dateTime(deepLink.expiresAt) })}</p>
                          <button
                            type="button"
                            className="button button-ghost"
                            onClick={() => {
                              setSaved(null);
                              reexecute({ requestPolicy: "network-only" });
                            }}
                          >
                            {t("centre.telegramCheck")}
                          </button>
                        </>
                      ) : (
                        <button type="button" className="button button-secondary" onClick={startLink} data-testid="telegram-link-start">
                          {t("centre.telegramLink")}
                        </button>
                      )}
                    </div>
                  )}
                </Form>
              </Card>
              <Card title={t("centre.whatsappTitle")}>
                <p className="muted">{settings.whatsappNumber ?? t("centre.whatsappLater")}</p>
              </Card>
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
