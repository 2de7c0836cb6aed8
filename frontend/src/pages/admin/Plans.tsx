/** The plans a brand sells: merchant plans (quota, platform fee, trial) and member subscriptions. */
import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { CheckboxField, Form, FormErrors, SelectField, SubmitButton, TextAreaField, TextField } from "../../components/form";
import { Empty, QueryState, SkeletonRows } from "../../components/states";
import { Badge, Card, Dialog, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { BillingInterval, MembershipPlanFieldsFragment, MerchantPlanFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { planPrice } from "../billing/Billing";
import { usePrograms } from "../public/programs";
import { settled } from "../../components/marketplace/query";

export const MembershipPlanFields = graphql(`
  fragment MembershipPlanFields on MembershipPlan {
    id
    code
    name
    description
    price {
      amount
      currency
    }
    interval
    programId
    isActive
  }
`);

export const PlansAdminQuery = graphql(`
  query PlansAdmin {
    merchantPlans(includeInactive: true) {
      ...MerchantPlanFields
    }
    membershipPlans(includeInactive: true) {
      ...MembershipPlanFields
    }
  }
`);

export const MerchantPlanCreateMutation = graphql(`
  mutation MerchantPlanCreate($input: MerchantPlanCreateInput!) {
    merchantPlanCreate(input: $input) {
      plan {
        ...MerchantPlanFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MerchantPlanUpdateMutation = graphql(`
  mutation MerchantPlanUpdate($code: String!, $input: MerchantPlanInput!) {
    merchantPlanUpdate(code: $code, input: $input) {
      plan {
        ...MerchantPlanFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MembershipPlanCreateMutation = graphql(`
  mutation MembershipPlanCreate($input: MembershipPlanCreateInput!) {
    membershipPlanCreate(input: $input) {
      plan {
        ...MembershipPlanFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MembershipPlanUpdateMutation = graphql(`
  mutation MembershipPlanUpdate($code: String!, $input: MembershipPlanInput!) {
    membershipPlanUpdate(code: $code, input: $input) {
      plan {
        ...MembershipPlanFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type MerchantPlan = MerchantPlanFieldsFragment;
type MembershipPlan = MembershipPlanFieldsFragment;
const decimal = (value: string) => value.trim().replace(",", ".");
const intervals = (t: ReturnType<typeof useI18n>["t"]) =>
  (["MONTH", "YEAR"] as BillingInterval[]).map((value) => ({ value, label: t(`interval.${value}`) }));

type Editing<T> = { plan: T | null } | null;

function MerchantPlanDialog({ editing, onClose, onSaved }: { editing: Editing<MerchantPlan>; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { brand } = useSession();
  const plan = editing?.plan ?? null;
  const [form, setForm] = useState(() => blank());
  const [openedFor, setOpenedFor] = useState<Editing<MerchantPlan>>(null);
  const create = useFormMutation(MerchantPlanCreateMutation, (data) => data.merchantPlanCreate);
  const update = useFormMutation(MerchantPlanUpdateMutation, (data) => data.merchantPlanUpdate);
  const mutation = plan ? update : create;
  function blank() {
    return {
      code: plan?.code ?? "",
      name: plan?.name ?? "",
      price: plan?.price.amount ?? "",
      currency: plan?.price.currency ?? brand?.currency ?? "",
      interval: (plan?.interval ?? "MONTH") as BillingInterval,
      productQuota: plan?.productQuota === null || plan?.productQuota === undefined ? "" : String(plan.productQuota),
      platformFeeRate: plan?.platformFeeRate ?? "",
      trialDays: String(plan?.trialDays ?? 14),
      position: String(plan?.position ?? 0),
      isActive: plan?.isActive ?? true,
    };
  }
  if (editing !== openedFor) {
    setOpenedFor(editing);
    setForm(blank());
    create.setErrors([]);
    update.setErrors([]);
  }
  const set = <K extends keyof ReturnType<typeof blank>>(key: K) => (value: ReturnType<typeof blank>[K]) => setForm((current) => ({ ...current, [key]: value }));
  const submit = async () => {
    const input = {
      name: form.name.trim(),
      price: decimal(form.price),
      currency: form.currency.trim().toUpperCase(),
      interval: form.interval,
      productQuota: form.productQuota.trim() ? Number(form.productQuota) : null,
      platformFeeRate: decimal(form.platformFeeRate),
      trialDays: Number(form.trialDays || 0),
      position: Number(form.position || 0),
      isActive: form.isActive,
    };
    const done = plan ? await update.run({ code: plan.code, input }) : await create.run({ input: { ...input, code: form.code.trim() } });
    if (done) {
      onSaved();
      onClose();
    }
  };
  return (
    <Dialog open={editing !== null} title={plan ? t("plansAdmin.editMerchant", { plan: plan.name }) : t("plansAdmin.newMerchant")} onClose={onClose}>
      {editing ? (
        <Form onSubmit={submit} errors={mutation.errors} busy={mutation.fetching}>
          <div className="form-grid">
            {plan ? null : <TextField name="code" label={t("plansAdmin.code")} hint={t("plansAdmin.codeHint")} value={form.code} onChange={set("code")} />}
            <TextField name="name" label={t("plansAdmin.name")} value={form.name} onChange={set("name")} />
            <TextField name="price" label={t("plansAdmin.price")} inputMode="decimal" suffix={form.currency} value={form.price} onChange={set("price")} />
            <TextField name="currency" label={t("plansAdmin.currency")} value={form.currency} onChange={set("currency")} maxLength={3} />
            <SelectField name="interval" label={t("plansAdmin.interval")} value={form.interval} onChange={(value) => set("interval")(value as BillingInterval)} options={intervals(t)} />
            <TextField name="productQuota" label={t("plansAdmin.quota")} hint={t("plansAdmin.quotaHint")} inputMode="numeric" value={form.productQuota} onChange={set("productQuota")} />
            <TextField name="platformFeeRate" label={t("plansAdmin.fee")} inputMode="decimal" suffix="%" value={form.platformFeeRate} onChange={set("platformFeeRate")} />
            <TextField name="trialDays" label={t("plansAdmin.trialDays")} inputMode="numeric" suffix={t("common.daysUnit")} value={form.trialDays} onChange={set("trialDays")} />
            <TextField name="position" label={t("plansAdmin.position")} inputMode="numeric" value={form.position} onChange={set("position")} />
          </div>
          <CheckboxField name="isActive" label={t("plansAdmin.active")} hint={t("plansAdmin.activeHint")} checked={form.isActive} onChange={set("isActive")} />
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

function MembershipPlanDialog({ editing, onClose, onSaved }: { editing: Editing<MembershipPlan>; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { brand } = useSession();
  const { programs } = usePrograms();
  const plan = editing?.plan ?? null;
  const [form, setForm] = useState(() => blank());
  const [openedFor, setOpenedFor] = useState<Editing<MembershipPlan>>(null);
  const create = useFormMutation(MembershipPlanCreateMutation, (data) => data.membershipPlanCreate);
  const update = useFormMutation(MembershipPlanUpdateMutation, (data) => data.membershipPlanUpdate);
  const mutation = plan ? update : create;
  function blank() {
    return {
      code: plan?.code ?? "",
      name: plan?.name ?? "",
      description: plan?.description ?? "",
      price: plan?.price.amount ?? "",
      currency: plan?.price.currency ?? brand?.currency ?? "",
      interval: (plan?.interval ?? "MONTH") as BillingInterval,
      programId: plan?.programId ?? "",
      isActive: plan?.isActive ?? true,
    };
  }
  if (editing !== openedFor) {
    setOpenedFor(editing);
    setForm(blank());
    create.setErrors([]);
    update.setErrors([]);
  }
  const set = <K extends keyof ReturnType<typeof blank>>(key: K) => (value: ReturnType<typeof blank>[K]) => setForm((current) => ({ ...current, [key]: value }));
  const submit = async () => {
    const input = {
      name: form.name.trim(),
      description: form.description.trim(),
      price: decimal(form.price),
      currency: form.currency.trim().toUpperCase(),
      interval: form.interval,
      programId: form.programId || null,
      isActive: form.isActive,
    };
    const done = plan ? await update.run({ code: plan.code, input }) : await create.run({ input: { ...input, code: form.code.trim() } });
    if (done) {
      onSaved();
      onClose();
    }
  };
  return (
    <Dialog open={editing !== null} title={plan ? t("plansAdmin.editMembership", { plan: plan.name }) : t("plansAdmin.newMembership")} onClose={onClose}>
      {editing ? (
        <Form onSubmit={submit} errors={mutation.errors} busy={mutation.fetching}>
          <div className="form-grid">
            {plan ? null : <TextField name="code" label={t("plansAdmin.code")} hint={t("plansAdmin.codeHint")} value={form.code} onChange={set("code")} />}
            <TextField name="name" label={t("plansAdmin.name")} value={form.name} onChange={set("name")} />
            <TextField name="price" label={t("plansAdmin.price")} inputMode="decimal" suffix={form.currency} value={form.price} onChange={set("price")} />
            <TextField name="currency" label={t("plansAdmin.currency")} value={form.currency} onChange={set("currency")} maxLength={3} />
            <SelectField name="interval" label={t("plansAdmin.interval")} value={form.interval} onChange={(value) => set("interval")(value as BillingInterval)} options={intervals(t)} />
            <SelectField
              name="programId"
              label={t("plansAdmin.program")}
              hint={t("plansAdmin.programHint")}
              value={form.programId}
              onChange={set("programId")}
              options={[{ value: "", label: t("plansAdmin.noProgram") }, ...programs.map((program) => ({ value: program.id, label: program.name }))]}
            />
            <TextAreaField name="description" label={t("plansAdmin.description")} value={form.description} onChange={set("description")} rows={3} className="span-2" />
          </div>
          <CheckboxField name="isActive" label={t("plansAdmin.active")} hint={t("plansAdmin.activeHint")} checked={form.isActive} onChange={set("isActive")} />
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

export default function Plans() {
  const i18n = useI18n();
  const { t } = i18n;
  const { programs } = usePrograms();
  const [result, reexecute] = useQuery({ query: PlansAdminQuery, requestPolicy: "cache-and-network" });
  const [merchantEditing, setMerchantEditing] = useState<Editing<MerchantPlan>>(null);
  const [membershipEditing, setMembershipEditing] = useState<Editing<MembershipPlan>>(null);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div className="stack">
      <PageHeader title={t("plansAdmin.title")} subtitle={t("plansAdmin.subtitle")} />
      <QueryState result={settled(result)} retry={refresh} loading={<SkeletonRows rows={6} />}>
        {(data) => (
          <>
            <Card
              title={t("plansAdmin.merchantPlans")}
              actions={
                <button type="button" className="button button-primary button-small" onClick={() => setMerchantEditing({ plan: null })}>
                  {t("plansAdmin.newMerchant")}
                </button>
              }
            >
              {data.merchantPlans.length === 0 ? (
                <Empty title={t("plansAdmin.noMerchantPlans")}>{t("plansAdmin.noMerchantPlansHint")}</Empty>
              ) : (
                <div className="table-wrap" tabIndex={0}>
                  <table className="table" data-testid="merchant-plans">
                    <caption className="visually-hidden">{t("plansAdmin.merchantPlans")}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t("plansAdmin.name")}</th>
                        <th scope="col">{t("plansAdmin.price")}</th>
                        <th scope="col" className="numeric">
                          {t("plansAdmin.quota")}
                        </th>
                        <th scope="col" className="numeric">
                          {t("plansAdmin.fee")}
                        </th>
                        <th scope="col" className="numeric">
                          {t("plansAdmin.trialDays")}
                        </th>
                        <th scope="col">{t("common.status")}</th>
                        <th scope="col">{t("common.actions")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.merchantPlans.map((plan) => (
                        <tr key={plan.code}>
                          <td>
                            {plan.name} <code className="muted small">{plan.code}</code>
                          </td>
                          <td>{planPrice(plan, i18n)}</td>
                          <td className="numeric">{plan.productQuota ?? "∞"}</td>
                          <td className="numeric">{i18n.percent(plan.platformFeeRate)}</td>
                          <td className="numeric">{plan.trialDays}</td>
                          <td>{plan.isActive ? <Badge tone="success">{t("plansAdmin.activeBadge")}</Badge> : <Badge>{t("plansAdmin.inactiveBadge")}</Badge>}</td>
                          <td className="actions">
                            {plan.id ? (
                              <button type="button" className="button button-secondary button-small" onClick={() => setMerchantEditing({ plan })}>
                                {t("products.edit")}
                              </button>
                            ) : (
                              <span className="muted small">{t("plansAdmin.builtIn")}</span>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
            <Card
              title={t("plansAdmin.membershipPlans")}
              actions={
                <button type="button" className="button button-primary button-small" onClick={() => setMembershipEditing({ plan: null })}>
                  {t("plansAdmin.newMembership")}
                </button>
              }
            >
              <p className="muted small">{t("plansAdmin.membershipHint")}</p>
              {data.membershipPlans.length === 0 ? (
                <Empty title={t("plansAdmin.noMembershipPlans")} />
              ) : (
                <div className="table-wrap" tabIndex={0}>
                  <table className="table" data-testid="membership-plans">
                    <caption className="visually-hidden">{t("plansAdmin.membershipPlans")}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t("plansAdmin.name")}</th>
                        <th scope="col">{t("plansAdmin.price")}</th>
                        <th scope="col">{t("plansAdmin.program")}</th>
                        <th scope="col">{t("common.status")}</th>
                        <th scope="col">{t("common.actions")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.membershipPlans.map((plan) => (
                        <tr key={plan.code}>
                          <td>
                            {plan.name} <code className="muted small">{plan.code}</code>
                            {plan.description ? <p className="muted small">{plan.description}</p> : null}
                          </td>
                          <td>{`${i18n.money(plan.price)} / ${t(`interval.${plan.interval}`)}`}</td>
                          <td>{programs.find((program) => program.id === plan.programId)?.name ?? <span className="muted">{t("plansAdmin.noProgram")}</span>}</td>
                          <td>{plan.isActive ? <Badge tone="success">{t("plansAdmin.activeBadge")}</Badge> : <Badge>{t("plansAdmin.inactiveBadge")}</Badge>}</td>
                          <td className="actions">
                            <button type="button" className="button button-secondary button-small" onClick={() => setMembershipEditing({ plan })}>
                              {t("products.edit")}
                            </button>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
          </>
        )}
      </QueryState>
      <MerchantPlanDialog editing={merchantEditing} onClose={() => setMerchantEditing(null)} onSaved={refresh} />
      <MembershipPlanDialog editing={membershipEditing} onClose={() => setMembershipEditing(null)} onSaved={refresh} />
    </div>
  );
}
