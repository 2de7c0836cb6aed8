import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";

import { addDecimal, addLinkDeltas, type LinkDeltas } from "../../api/liveStats";
import { useFormMutation } from "../../api/mutation";
import { FieldMessages, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, CopyButton, PageHeader } from "../../components/ui";
import type { LinkFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { AffiliateStatsSubscription, LinkArchiveMutation, LinkCreateMutation, MyLinksQuery, SUB_ID_KEYS, UTM_KEYS, compact, qrUrl } from "./links";
import { MembershipGate, type MembershipContext } from "./membership";
import { SubIdBuilder } from "./SubIdBuilder";

function CreateLink({ programId, landingUrl, onCreated }: { programId: string; landingUrl: string; onCreated: () => void }) {
  const { t } = useI18n();
  const [title, setTitle] = useState("");
  const [targetUrl, setTargetUrl] = useState("");
  const [subIds, setSubIds] = useState<Record<string, string>>({});
  const [utm, setUtm] = useState<Record<string, string>>({});
  const create = useFormMutation(LinkCreateMutation, (data) => data.linkCreate);
  const submit = async () => {
    const data = await create.run({
      input: { programId, title, targetUrl, subIds: compact(subIds), utm: compact(utm) },
    });
    if (data?.linkCreate.link) {
      setTitle("");
      setTargetUrl("");
      setSubIds({});
      setUtm({});
      onCreated();
    }
  };
  return (
    <Card title={t("links.create")}>
      <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("links.create")}>
        <TextField name="title" label={t("links.titleField")} value={title} onChange={setTitle} placeholder={t("links.titlePlaceholder")} />
        <TextField
          name="targetUrl"
          type="url"
          label={t("links.target")}
          hint={t("links.targetHint", { url: landingUrl })}
          value={targetUrl}
          onChange={setTargetUrl}
          placeholder={landingUrl}
        />
        <details className="disclosure">
          <summary>{t("links.advanced")}</summary>
          <fieldset className="field-row">
            <legend>{t("links.subIds")}</legend>
            {SUB_ID_KEYS.map((key) => (
              <TextField
                key={key}
                name={`subIds.${key}`}
                label={key}
                value={subIds[key] ?? ""}
                onChange={(value) => setSubIds((current) => ({ ...current, [key]: value }))}
              />
            ))}
            <FieldMessages name="subIds" />
          </fieldset>
          <fieldset className="field-row">
            <legend>{t("links.utm")}</legend>
            {UTM_KEYS.slice(0, 3).map((key) => (
              <TextField
                key={key}
                name={`utm.${key}`}
                label={key}
                value={utm[key] ?? ""}
                onChange={(value) => setUtm((current) => ({ ...current, [key]: value }))}
              />
            ))}
            <FieldMessages name="utm" />
          </fieldset>
        </details>
        <FormErrors />
        <SubmitButton>{t("links.createButton")}</SubmitButton>
      </Form>
    </Card>
  );
}

function LinkRow({ link, delta, onArchived }: { link: LinkFieldsFragment; delta?: LinkDeltas[string]; onArchived: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  // The link's counters as read, plus what the live deltas added since.
  const stats = delta
    ? {
        clicks: link.stats.clicks + delta.clicks,
        uniqueClicks: link.stats.uniqueClicks + delta.uniqueClicks,
        conversions: link.stats.conversions + delta.conversions,
        earnings: { ...link.stats.earnings, amount: addDecimal(link.stats.earnings.amount, delta.earnings.amount) },
      }
    : link.stats;
  const [builder, setBuilder] = useState(false);
  const [, archive] = useMutation(LinkArchiveMutation);
  return (
    <li className="link-row card" data-testid="link-row" data-code={link.code}>
      <div className="link-main">
        <div className="link-title">
          <h3>{link.title || link.code}</h3>
          {link.archivedAt ? <Badge>{t("links.archived")}</Badge> : null}
        </div>
        <div className="copy-row">
          <code className="copy-value" data-testid="link-url">
            {link.url}
          </code>
          <CopyButton text={link.url} />
        </div>
        <p className="muted small link-target">→ {link.targetUrl}</p>
      </div>
      <dl className="link-stats">
        <div>
          <dt>{t("stats.clicks")}</dt>
          <dd data-testid="link-clicks">{i18n.number(stats.clicks)}</dd>
        </div>
        <div>
          <dt>{t("stats.uniqueClicks")}</dt>
          <dd>{i18n.number(stats.uniqueClicks)}</dd>
        </div>
        <div>
          <dt>{t("stats.conversions")}</dt>
          <dd>{i18n.number(stats.conversions)}</dd>
        </div>
        <div>
          <dt>{t("stats.earnings")}</dt>
          <dd>{i18n.money(stats.earnings)}</dd>
        </div>
      </dl>
      <div className="link-actions">
        <Link className="button button-secondary button-small" to={`/links/${link.id}`}>
          {t("links.stats")}
        </Link>
        <a className="button button-secondary button-small" href={qrUrl(link.code, "png")} download={`${link.code}-qr.png`}>
          {t("links.qrPng")}
        </a>
        <a className="button button-secondary button-small" href={qrUrl(link.code, "svg")} download={`${link.code}-qr.svg`}>
          {t("links.qrSvg")}
        </a>
        <button type="button" className="button button-ghost button-small" aria-expanded={builder} onClick={() => setBuilder((open) => !open)}>
          {t("links.builder")}
        </button>
        {link.archivedAt ? null : (
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => {
              if (window.confirm(t("links.archiveConfirm"))) void archive({ id: link.id }).then(onArchived);
            }}
          >
            {t("links.archive")}
          </button>
        )}
      </div>
      {builder ? <SubIdBuilder url={link.url} /> : null}
    </li>
  );
}

/**
 * The links page's live counters: the affiliate's ticks carry each change per link, which the page
 * adds to the links it read (no re-read). A snapshot after the first one means the websocket
 * reconnected and changes may have been missed: the links are read again (``refresh``). Call
 * ``reset`` when the links have been read again, so nothing counts twice.
 */
export function useLiveLinkDeltas(programId: string, refresh: () => void): { live: boolean; deltas: LinkDeltas; reset: () => void } {
  const [{ data }] = useSubscription({ query: AffiliateStatsSubscription, variables: { programId } });
  const [deltas, setDeltas] = useState<LinkDeltas>({});
  const snapshots = useRef(0);
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    const stats = data?.affiliateStats;
    if (!stats) return;
    if (stats.isSnapshot) {
      snapshots.current += 1;
      if (snapshots.current > 1) {
        setDeltas({});
        latest.current();
      }
      return;
    }
    if (stats.delta) {
      const links = stats.delta.links;
      setDeltas((current) => addLinkDeltas(current, links));
    }
  }, [data]);
  const reset = useCallback(() => setDeltas({}), []);
  return { live: Boolean(data), deltas, reset };
}

function LinksPage({ program, picker }: MembershipContext) {
  const { t } = useI18n();
  const [includeArchived, setIncludeArchived] = useState(false);
  const [after, setAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({
    query: MyLinksQuery,
    variables: { programId: program.id, includeArchived, after },
    requestPolicy: "cache-and-network",
  });
  const refresh = () => {
    setAfter(null);
    reexecute({ requestPolicy: "network-only" });
  };
  const { live, deltas, reset } = useLiveLinkDeltas(program.id, () => reexecute({ requestPolicy: "network-only" }));
  // Links read again (a new page, a link created or archived, a reconnection): they hold the changes.
  useEffect(() => reset(), [result.data, reset]);
  return (
    <div className="stack">
      <PageHeader title={t("links.title")} subtitle={t("links.subtitle")} actions={picker} />
      <div className="grid grid-sidebar">
        <CreateLink programId={program.id} landingUrl={program.landingUrl} onCreated={refresh} />
        <section aria-labelledby="links-list-title">
          <div className="toolbar">
            <h2 id="links-list-title" className="card-title">
              {t("links.yours")} {result.data ? <span className="muted">({result.data.myLinks.totalCount})</span> : null}{" "}
              {live ? (
                <span className="badge badge-success" data-testid="links-live">
                  {t("dashboard.live")}
                </span>
              ) : null}
            </h2>
            <label className="inline-check">
              <input type="checkbox" checked={includeArchived} onChange={(event) => setIncludeArchived(event.target.checked)} />
              {t("links.showArchived")}
            </label>
          </div>
          <QueryState
            result={result}
            isEmpty={(data) => data.myLinks.edges.length === 0}
            empty={<Empty title={t("links.empty")}>{t("links.emptyHint")}</Empty>}
          >
            {(data) => (
              <>
                <ul className="link-list">
                  {data.myLinks.edges.map(({ node }) => (
                    <LinkRow key={node.id} link={node} delta={deltas[node.id]} onArchived={refresh} />
                  ))}
                </ul>
                {data.myLinks.pageInfo.hasNextPage ? (
                  <button type="button" className="button button-secondary" onClick={() => setAfter(data.myLinks.pageInfo.endCursor ?? null)}>
                    {t("common.next")}
                  </button>
                ) : null}
                {after ? (
                  <button type="button" className="button button-ghost" onClick={() => setAfter(null)}>
                    {t("common.first")}
                  </button>
                ) : null}
              </>
            )}
          </QueryState>
        </section>
      </div>
    </div>
  );
}

export default function Links() {
  return <MembershipGate>{(context) => <LinksPage {...context} />}</MembershipGate>;
}
