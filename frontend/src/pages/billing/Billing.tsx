/**
 * A merchant's plan and billing: the plan in force with its usage, every plan to move to
 * (upgrade, downgrade, or a first subscription by card or bank transfer), cancel and resume,
 * Stripe's customer portal, a bank transfer waiting for the brand, and the invoices.
 */
import { useState } from "react";
import { useLocation } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { ChoiceGroup, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import "../../components/marketplace/marketplace.css";
import { PaymentPanel } from "../../components/marketplace/payment";
import { compareDecimal } from "../../components/marketplace/price";
import { QueryState, SkeletonRows } from "../../components/states";
import { Badge, Card, Dialog, PageHeader, StatCard } from "../../components/ui";
import { graphql } from "../../gql";
import type { ContactChannel, MerchantPlanFieldsFragment, MyPlanFieldsFragment, PlanPaymentProvider, SubscriptionStatus } from "../../gql/graphql";
import { useI18n, type I18n } from "../../i18n";
import { ContactFields } from "../checkout/CheckoutForm";
import { InvoiceList } from "./invoices";
import { settled } from "../../components/marketplace/query";

export const MyPlanFields = graphql(`
  fragment MyPlanFields on MyPlan {
    plan {
      ...MerchantPlanFields
    }
    subscribedPlan {
      ...MerchantPlanFields
    }
    status
    provider
    trialEnd
    currentPeriodStart
    currentPeriodEnd
    cancelAtPeriodEnd
    paymentFailedAt
    graceUntil
    usage {
      productsUsed
      productQuota
    }
    pendingPayment {
      ...PaymentFields
    }
  }
`);

export const BillingPageQuery = graphql(`
  query BillingPage {
    myPlan {
      ...MyPlanFields
    }
    merchantPlans {
      ...MerchantPlanFields
    }
  }
`);

export const PlanSubscribeMutation = graphql(`
  mutation PlanSubscribe($input: PlanSubscribeInput!) {
    planSubscribe(input: $input) {
      myPlan {
        ...MyPlanFields
      }
      checkoutUrl
      bankTransfer {
        ...BankTransferFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PlanChangeMutation = graphql(`
  mutation PlanChange($planCode: String!) {
    planChange(planCode: $planCode) {
      myPlan {
        ...MyPlanFields
      }
      isUpgrade
      amountDueNow {
        amount
        currency
      }
      nextInvoiceCredit {
        amount
        currency
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PlanCancelMutation = graphql(`
  mutation PlanCancel {
    planCancel {
      myPlan {
        ...MyPlanFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PlanResumeMutation = graphql(`
  mutation PlanResume {
    planResume {
      myPlan {
        ...MyPlanFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const BillingPortalMutation = graphql(`
  mutation BillingPortal {
    billingPortalUrl {
      url
      errors {
        field
        code
        message
      }
    }
  }
`);

type Plan = MerchantPlanFieldsFragment;
const LIVE: SubscriptionStatus[] = ["TRIALING", "ACTIVE", "PAST_DUE"];
const STATUS_TONES: Record<SubscriptionStatus, "success" | "info" | "warning" | "danger" | "neutral"> = {
  INCOMPLETE: "warning",
  TRIALING: "info",
  ACTIVE: "success",
  PAST_DUE: "danger",
  UNPAID: "danger",
  CANCELED: "neutral",
};

export function planPrice(plan: Plan, i18n: I18n): string {
  if (/^0(\.0+)?$/.test(plan.price.amount)) return i18n.t("plans.free");
  return `${i18n.money(plan.price)} / ${i18n.t(`interval.${plan.interval}`)}`;
}

function quotaText(quota: number | null | undefined, t: I18n["t"]): string {
  return quota === null || quota === undefined ? t("plans.unlimited") : t("plans.products", { count: quota });
}

function SubscribeDialog({ plan, onClose, onDone }: { plan: Plan | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const { me } = useSession();
  const [provider, setProvider] = useState<PlanPaymentProvider>("STRIPE");
  const [payerName, setPayerName] = useState(me?.fullName ?? "");
  const [payerEmail, setPayerEmail] = useState(me?.email ?? "");
  const [contactChannel, setContactChannel] = useState<ContactChannel>("EMAIL");
  const [contact, setContact] = useState("");
  const subscribe = useFormMutation(PlanSubscribeMutation, (data) => data.planSubscribe);
  const submit = async () => {
    if (!plan) return;
    const bank = provider === "BANK_TRANSFER";
    const data = await subscribe.run({
      input: {
        planCode: plan.code,
        provider,
        payerName: bank ? payerName.trim() : "",
        payerEmail: bank ? payerEmail.trim() : "",
        contactChannel: bank ? contactChannel : null,
        contact: bank && contactChannel !== "EMAIL" ? contact.trim() : "",
      },
    });
    const answer = data?.planSubscribe;
    if (!answer) return;
    if (answer.checkoutUrl) {
      window.location.assign(answer.checkoutUrl);
      return;
    }
    onDone();
    onClose();
  };
  return (
    <Dialog open={plan !== null} title={plan ? t("plans.subscribeTitle", { plan: plan.name }) : ""} onClose={onClose}>
      {plan ? (
        <Form onSubmit={submit} errors={subscribe.errors} busy={subscribe.fetching}>
          <ChoiceGroup
            name="provider"
            type="radio"
            legend={t("checkout.payWith")}
            value={[provider]}
            onChange={(value) => setProvider(value[0] as PlanPaymentProvider)}
            options={[
              { value: "STRIPE", label: plan.trialDays ? t("plans.cardTrial", { days: plan.trialDays }) : t("checkout.card") },
              { value: "BANK_TRANSFER", label: t("checkout.bankTransfer") },
            ]}
          />
          {provider === "BANK_TRANSFER" ? (
            <>
              <TextField name="payerName" label={t("checkout.payerName")} value={payerName} onChange={setPayerName} autoComplete="name" required />
              <TextField name="payerEmail" type="email" label={t("checkout.payerEmail")} value={payerEmail} onChange={setPayerEmail} autoComplete="email" required />
              <ContactFields channel={contactChannel} contact={contact} onChannel={setContactChannel} onContact={setContact} />
            </>
          ) : null}
          <FormErrors />
          <div className="button-row">
            <button type="button" className="button button-ghost" onClick={onClose}>
              {t("common.cancel")}
            </button>
            <SubmitButton>{provider === "STRIPE" ? t("plans.continueToCard") : t("plans.getBankDetails")}</SubmitButton>
          </div>
        </Form>
      ) : null}
    </Dialog>
  );
}

function PlanCards({ plans, myPlan, onChanged }: { plans: Plan[]; myPlan: MyPlanFieldsFragment; onChanged: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [subscribing, setSubscribing] = useState<Plan | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const change = useFormMutation(PlanChangeMutation, (data) => data.planChange);
  const current = myPlan.subscribedPlan ?? myPlan.plan;
  const hasCardSubscription = myPlan.provider === "STRIPE" && myPlan.status !== null && myPlan.status !== undefined && LIVE.includes(myPlan.status);
  const choose = async (plan: Plan) => {
    setNotice(null);
    if (!hasCardSubscription) {
      setSubscribing(plan);
      return;
    }
    const data = await change.run({ planCode: plan.code });
    const answer = data?.planChange;
    if (!answer) return;
    if (answer.amountDueNow && !/^0(\.0+)?$/.test(answer.amountDueNow.amount)) setNotice(t("plans.chargedNow", { amount: i18n.money(answer.amountDueNow) }));
    else if (answer.nextInvoiceCredit && !/^0(\.0+)?$/.test(answer.nextInvoiceCredit.amount))
      setNotice(t("plans.credited", { amount: i18n.money(answer.nextInvoiceCredit) }));
    else setNotice(t("plans.changed", { plan: plan.name }));
    onChanged();
  };
  return (
    <section aria-labelledby="plans-title" className="stack-tight">
      <h2 id="plans-title">{t("plans.choose")}</h2>
      <div className="live-region" role="status">
        {notice ? (
          <div className="alert alert-success">
            <p>{notice}</p>
          </div>
        ) : null}
      </div>
      {change.errors.length ? (
        <div className="alert alert-error" role="alert">
          {change.errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <div className="plan-grid">
        {plans.map((plan) => {
          const isCurrent = plan.code === current.code;
          const free = /^0(\.0+)?$/.test(plan.price.amount);
          const direction = compareDecimal(plan.price.amount, current.price.amount);
          return (
            <article key={plan.code} className={isCurrent ? "plan-card plan-card-current" : "plan-card"} data-testid="plan-card" data-code={plan.code}>
              <h3>{plan.name}</h3>
              <p className="plan-price">{planPrice(plan, i18n)}</p>
              <ul className="plan-facts small">
                <li>{quotaText(plan.productQuota, t)}</li>
                <li>{t("plans.fee", { rate: i18n.percent(plan.platformFeeRate) })}</li>
                {plan.trialDays && !free ? <li>{t("plans.trial", { days: plan.trialDays })}</li> : null}
              </ul>
              {isCurrent ? (
                <Badge tone="success">{t("plans.current")}</Badge>
              ) : free && !hasCardSubscription ? null : (
                <button
                  type="button"
                  className={direction > 0 ? "button button-primary" : "button button-secondary"}
                  disabled={change.fetching}
                  onClick={() => void choose(plan)}
                >
                  {direction > 0 ? t("plans.upgrade") : t("plans.downgrade")}
                </button>
              )}
            </article>
          );
        })}
      </div>
      <SubscribeDialog plan={subscribing} onClose={() => setSubscribing(null)} onDone={onChanged} />
    </section>
  );
}

function CurrentPlan({ myPlan, onChanged }: { myPlan: MyPlanFieldsFragment; onChanged: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const cancel = useFormMutation(PlanCancelMutation, (data) => data.planCancel);
  const resume = useFormMutation(PlanResumeMutation, (data) => data.planResume);
  const portal = useFormMutation(BillingPortalMutation, (data) => data.billingPortalUrl);
  const { usage } = myPlan;
  const quota = usage.productQuota;
  const live = myPlan.status !== null && myPlan.status !== undefined && LIVE.includes(myPlan.status);
  const errors = [...cancel.errors, ...resume.errors, ...portal.errors];
  const openPortal = async () => {
    const data = await portal.run({});
    const url = data?.billingPortalUrl.url;
    if (url) window.location.assign(url);
  };
  return (
    <Card
      title={t("billing.currentPlan")}
      actions={myPlan.status ? <Badge tone={STATUS_TONES[myPlan.status]}>{t(`subscription.${myPlan.status}`)}</Badge> : null}
    >
      {myPlan.paymentFailedAt ? (
        <div className="alert alert-error" role="alert" data-testid="plan-payment-failed">
          <p>
            <strong>{t("failingSubs.banner.title")}</strong>
          </p>
          <p>
            {myPlan.graceUntil && new Date(myPlan.graceUntil) > new Date()
              ? t("failingSubs.banner.body", { date: i18n.date(myPlan.graceUntil) })
              : t("failingSubs.banner.downgraded")}
          </p>
        </div>
      ) : null}
      <div className="stat-grid stat-grid-compact">
        <StatCard label={t("billing.plan")} value={myPlan.plan.name} hint={planPrice(myPlan.plan, i18n)} testId="current-plan" />
        <StatCard
          label={t("billing.usage")}
          value={quota === null || quota === undefined ? String(usage.productsUsed) : `${usage.productsUsed} / ${quota}`}
          hint={quotaText(quota, t)}
        />
        <StatCard label={t("billing.fee")} value={i18n.percent(myPlan.plan.platformFeeRate)} hint={t("billing.feeHint")} />
      </div>
      {quota !== null && quota !== undefined && quota > 0 ? (
        <meter className="usage-meter" min={0} max={quota} high={quota * 0.8} optimum={0} value={usage.productsUsed} aria-label={t("billing.usage")} />
      ) : null}
      <dl className="facts">
        {myPlan.subscribedPlan && myPlan.subscribedPlan.code !== myPlan.plan.code ? (
          <div>
            <dt>{t("billing.subscribedPlan")}</dt>
            <dd>{myPlan.subscribedPlan.name}</dd>
          </div>
        ) : null}
        {myPlan.provider ? (
          <div>
            <dt>{t("orders.paymentMethod")}</dt>
            <dd>{t(`provider.${myPlan.provider}`)}</dd>
          </div>
        ) : null}
        {myPlan.trialEnd && myPlan.status === "TRIALING" ? (
          <div>
            <dt>{t("billing.trialEnds")}</dt>
            <dd>{i18n.date(myPlan.trialEnd)}</dd>
          </div>
        ) : null}
        {myPlan.currentPeriodEnd ? (
          <div>
            <dt>{myPlan.cancelAtPeriodEnd ? t("billing.endsOn") : t("billing.renewsOn")}</dt>
            <dd>{i18n.date(myPlan.currentPeriodEnd)}</dd>
          </div>
        ) : null}
      </dl>
      <div className="live-region" role="status">
        {myPlan.cancelAtPeriodEnd ? (
          <div className="alert alert-info">
            <p>{t("billing.cancelScheduled", { date: i18n.date(myPlan.currentPeriodEnd) })}</p>
          </div>
        ) : null}
      </div>
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <div className="button-row">
        {live && !myPlan.cancelAtPeriodEnd ? (
          <button
            type="button"
            className="button button-danger"
            disabled={cancel.fetching}
            onClick={() => {
              if (window.confirm(t("billing.cancelConfirm"))) void cancel.run({}).then(onChanged);
            }}
          >
            {t("billing.cancel")}
          </button>
        ) : null}
        {myPlan.cancelAtPeriodEnd ? (
          <button type="button" className="button button-primary" disabled={resume.fetching} onClick={() => void resume.run({}).then(onChanged)}>
            {t("billing.resume")}
          </button>
        ) : null}
        {myPlan.provider === "STRIPE" ? (
          <button type="button" className="button button-secondary" disabled={portal.fetching} onClick={() => void openPortal()}>
            {t("billing.portal")}
          </button>
        ) : null}
      </div>
    </Card>
  );
}

export default function Billing() {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const [result, reexecute] = useQuery({ query: BillingPageQuery, requestPolicy: "cache-and-network" });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div className="stack">
      <PageHeader title={t("billing.title")} subtitle={t("billing.subtitle")} />
      <div className="live-region" role="status">
        {pathname.endsWith("/success") ? (
          <div className="alert alert-success">
            <p>{t("billing.success")}</p>
          </div>
        ) : null}
      </div>
      <div className="live-region" role="status">
        {pathname.endsWith("/canceled") ? (
          <div className="alert alert-info">
            <p>{t("billing.canceled")}</p>
          </div>
        ) : null}
      </div>
      <QueryState result={settled(result)} retry={refresh} loading={<SkeletonRows rows={5} />}>
        {(data) => (
          <>
            <CurrentPlan myPlan={data.myPlan} onChanged={refresh} />
            {data.myPlan.pendingPayment ? (
              <Card title={t("billing.pendingPayment")}>
                <PaymentPanel payment={data.myPlan.pendingPayment} onChange={(payment) => payment.status === "CONFIRMED" && refresh()} />
              </Card>
            ) : null}
            <PlanCards plans={data.merchantPlans} myPlan={data.myPlan} onChanged={refresh} />
          </>
        )}
      </QueryState>
      <Card title={t("invoices.title")}>
        <InvoiceList compact />
      </Card>
    </div>
  );
}
