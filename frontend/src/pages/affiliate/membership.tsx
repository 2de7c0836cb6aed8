/**
 * The affiliate's membership of the brand's programs. Pages of the affiliate area render inside
 * <MembershipGate>, which handles loading, "join a program", "awaiting approval" and the choice
 * of program when there are several.
 */
import { useState, type ReactNode } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SelectField, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Card } from "../../components/ui";
import { graphql } from "../../gql";
import type { MyAffiliationsQuery as MyAffiliationsResult } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { AffiliateJoinMutation } from "../auth/documents";
import { commissionHeadline, usePrograms, type ProgramInfo } from "../public/programs";

export const MyAffiliationsQuery = graphql(`
  query MyAffiliations {
    myAffiliations {
      id
      programId
      status
      referralCode
      joinedAt
      leaderboardOptOut
      tier {
        code
        label
        rate
      }
    }
  }
`);

export type Membership = MyAffiliationsResult["myAffiliations"][number];

const PROGRAM_KEY = "afp.program";

function storedProgram(): string | null {
  try {
    return window.localStorage.getItem(PROGRAM_KEY);
  } catch {
    return null;
  }
}

function JoinProgram({ programs, onJoined }: { programs: ProgramInfo[]; onJoined: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [programId, setProgramId] = useState(programs[0]?.id ?? "");
  const [referralCode, setReferralCode] = useState("");
  const join = useFormMutation(AffiliateJoinMutation, (data) => data.affiliateJoin);
  if (programs.length === 0) return <Empty title={t("home.noProgram")}>{t("home.noProgramHint")}</Empty>;
  const submit = async () => {
    if (await join.run({ programId, referralCode: referralCode.trim() })) onJoined();
  };
  const chosen = programs.find((program) => program.id === programId);
  return (
    <Card title={t("join.title")} className="join-card">
      <p className="muted">{chosen ? commissionHeadline(chosen, i18n) : null}</p>
      <Form onSubmit={submit} errors={join.errors} busy={join.fetching} aria-label={t("join.title")}>
        {programs.length > 1 ? (
          <SelectField
            name="program"
            label={t("common.program")}
            value={programId}
            onChange={setProgramId}
            options={programs.map((program) => ({ value: program.id, label: program.name }))}
          />
        ) : null}
        <TextField name="referralCode" label={t("auth.referralCode")} hint={t("auth.referralHint")} value={referralCode} onChange={setReferralCode} />
        <FormErrors />
        <SubmitButton>{t("join.button")}</SubmitButton>
      </Form>
    </Card>
  );
}

export interface MembershipContext {
  membership: Membership;
  program: ProgramInfo;
  picker: ReactNode;
}

export function MembershipGate({ children }: { children: (context: MembershipContext) => ReactNode }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: MyAffiliationsQuery });
  const { programs, active, result: programsResult } = usePrograms();
  const [chosen, setChosen] = useState<string | null>(storedProgram);
  const choose = (programId: string) => {
    setChosen(programId);
    try {
      window.localStorage.setItem(PROGRAM_KEY, programId);
    } catch {
      /* kept for this page only */
    }
  };
  return (
    <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
      {(data) => {
        if (!programsResult.data) return <QueryState result={programsResult}>{() => null}</QueryState>;
        const memberships = data.myAffiliations.filter((item) => programs.some((program) => program.id === item.programId));
        const joinable = active.filter((program) => !memberships.some((item) => item.programId === program.id));
        if (memberships.length === 0) {
          return <JoinProgram programs={joinable} onJoined={() => reexecute({ requestPolicy: "network-only" })} />;
        }
        const membership = memberships.find((item) => item.programId === chosen) ?? memberships[0];
        const program = programs.find((item) => item.id === membership.programId)!;
        if (membership.status === "PENDING") {
          return <Empty title={t("join.pending")}>{t("join.pendingHint", { program: program.name })}</Empty>;
        }
        if (membership.status !== "APPROVED") {
          return <Empty title={t("join.closed")}>{t("join.closedHint", { program: program.name })}</Empty>;
        }
        const picker =
          memberships.length > 1 ? (
            <label className="inline-select">
              <span>{t("common.program")}</span>
              <select value={membership.programId} onChange={(event) => choose(event.target.value)}>
                {memberships.map((item) => (
                  <option key={item.programId} value={item.programId}>
                    {programs.find((candidate) => candidate.id === item.programId)?.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null;
        return children({ membership, program, picker });
      }}
    </QueryState>
  );
}
