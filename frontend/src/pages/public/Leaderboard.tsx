import { useState } from "react";
import { useQuery } from "urql";

import { Card, PageHeader, Tabs } from "../../components/ui";
import { Empty, QueryState } from "../../components/states";
import { SelectField } from "../../components/form";
import { graphql } from "../../gql";
import type { LeaderboardMetric, LeaderboardPeriod } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { usePrograms } from "./programs";

export const LeaderboardQuery = graphql(`
  query Leaderboard($programId: ID!, $metric: LeaderboardMetric!, $period: LeaderboardPeriod!) {
    leaderboard(programId: $programId, metric: $metric, period: $period, limit: 20) {
      rank
      displayName
      maskedEmail
      value
      isMe
    }
  }
`);

interface Entry {
  rank: number;
  displayName: string;
  maskedEmail: string;
  value: string;
  isMe: boolean;
}

function useValue(metric: LeaderboardMetric, currency: string) {
  const i18n = useI18n();
  return (value: string) => (metric === "EARNINGS" ? i18n.money({ amount: value, currency }) : i18n.number(value));
}

/** The top three on steps: second, first, third. */
export function Podium({ entries, currency, metric }: { entries: Entry[]; currency: string; metric: LeaderboardMetric }) {
  const { t } = useI18n();
  const format = useValue(metric, currency);
  const byRank = [entries[1], entries[0], entries[2]];
  return (
    <ol className="podium" aria-label={t("leaderboard.podium")}>
      {byRank.map((entry, index) =>
        entry ? (
          <li key={entry.rank} className={`podium-step podium-${entry.rank}${entry.isMe ? " is-me" : ""}`} value={entry.rank}>
            <span className={`podium-medal medal-${entry.rank}`} aria-hidden="true" />
            <span className="podium-name">{entry.displayName}</span>
            <span className="podium-value">{format(entry.value)}</span>
            <span className="podium-block" aria-hidden="true">
              {entry.rank}
            </span>
          </li>
        ) : (
          <li key={`empty-${index}`} className={`podium-step podium-empty podium-${[2, 1, 3][index]}`} aria-hidden="true">
            <span className="podium-block">{[2, 1, 3][index]}</span>
          </li>
        ),
      )}
    </ol>
  );
}

export default function Leaderboard() {
  const { t } = useI18n();
  const { active, result: programsResult } = usePrograms();
  const [programId, setProgramId] = useState<string>("");
  const [metric, setMetric] = useState<LeaderboardMetric>("EARNINGS");
  const [period, setPeriod] = useState<LeaderboardPeriod>("LAST_30_DAYS");
  const program = active.find((item) => item.id === programId) ?? active[0];
  const [result] = useQuery({
    query: LeaderboardQuery,
    variables: { programId: program?.id ?? "", metric, period },
    pause: !program,
  });
  const format = useValue(metric, program?.currency ?? "EUR");
  return (
    <div>
      <PageHeader title={t("leaderboard.title")} subtitle={t("leaderboard.subtitle")} />
      <QueryState result={programsResult} isEmpty={() => !program} empty={<Empty title={t("home.noProgram")} />}>
        {() => (
          <>
            <div className="toolbar">
              {active.length > 1 ? (
                <SelectField
                  name="program"
                  label={t("common.program")}
                  value={program.id}
                  onChange={setProgramId}
                  options={active.map((item) => ({ value: item.id, label: item.name }))}
                />
              ) : null}
              <Tabs
                label={t("leaderboard.metric")}
                value={metric}
                onChange={setMetric}
                options={[
                  { value: "EARNINGS", label: t("leaderboard.earnings") },
                  { value: "CLICKS", label: t("leaderboard.clicks") },
                ]}
              />
              <Tabs
                label={t("leaderboard.period")}
                value={period}
                onChange={setPeriod}
                options={[
                  { value: "LAST_7_DAYS", label: t("period.7") },
                  { value: "LAST_30_DAYS", label: t("period.30") },
                  { value: "LAST_90_DAYS", label: t("period.90") },
                  { value: "ALL_TIME", label: t("period.all") },
                ]}
              />
            </div>
            <QueryState
              result={result}
              isEmpty={(data) => data.leaderboard.length === 0}
              empty={<Empty title={t("leaderboard.empty")}>{t("leaderboard.emptyHint")}</Empty>}
            >
              {(data) => (
                <>
                  <Podium entries={data.leaderboard} currency={program.currency} metric={metric} />
                  {data.leaderboard.length > 3 ? (
                    <Card>
                      <table className="table">
                        <caption className="visually-hidden">{t("leaderboard.title")}</caption>
                        <thead>
                          <tr>
                            <th scope="col">#</th>
                            <th scope="col">{t("leaderboard.partner")}</th>
                            <th scope="col" className="numeric">
                              {metric === "EARNINGS" ? t("leaderboard.earnings") : t("leaderboard.clicks")}
                            </th>
                          </tr>
                        </thead>
                        <tbody>
                          {data.leaderboard.slice(3).map((entry) => (
                            <tr key={entry.rank} className={entry.isMe ? "is-me" : undefined}>
                              <td>{entry.rank}</td>
                              <td>
                                {entry.displayName} <span className="muted">{entry.maskedEmail}</span>
                                {entry.isMe ? <span className="badge badge-info">{t("leaderboard.you")}</span> : null}
                              </td>
                              <td className="numeric">{format(entry.value)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </Card>
                  ) : null}
                </>
              )}
            </QueryState>
          </>
        )}
      </QueryState>
    </div>
  );
}
