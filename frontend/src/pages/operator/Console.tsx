import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { Form, FormErrors, SelectField, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Card, PageHeader, Pager } from "../../components/ui";
import { graphql } from "../../gql";
import type { BrandCreateMutation as BrandCreateResult, LanguageCode } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import Login from "../auth/Login";
import IpBlocks from "./IpBlocks";
import { ThemesQuery } from "../admin/ThemeEditor";

export const BrandsQuery = graphql(`
  query Brands($after: String) {
    brands(first: 50, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          subdomain
          domain
          currency
          language
          provisioningMs
          createdAt
          theme {
            name
            label
            colors {
              primary
              background
            }
          }
        }
      }
    }
  }
`);

export const BrandCreateMutation = graphql(`
  mutation BrandCreate($input: BrandCreateInput!) {
    brandCreate(input: $input) {
      brand {
        id
        name
        domain
        provisioningMs
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Created = NonNullable<BrandCreateResult["brandCreate"]["brand"]>;

/** The brand's address from here: same scheme and port as the console. */
export function brandUrl(domain: string, location: Location = window.location): string {
  return `${location.protocol}//${domain}${location.port ? `:${location.port}` : ""}/`;
}

function CreateBrand({ onCreated }: { onCreated: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [themes] = useQuery({ query: ThemesQuery });
  const [name, setName] = useState("");
  const [subdomain, setSubdomain] = useState("");
  const [theme, setTheme] = useState("default");
  const [currency, setCurrency] = useState("EUR");
  const [language, setLanguage] = useState<LanguageCode>("EN");
  const [adminEmail, setAdminEmail] = useState("");
  const [adminName, setAdminName] = useState("");
  const [created, setCreated] = useState<Created | null>(null);
  const [invited, setInvited] = useState("");
  const create = useFormMutation(BrandCreateMutation, (data) => data.brandCreate);
  const root = window.location.hostname;
  const submit = async () => {
    setCreated(null);
    const data = await create.run({
      input: { name, subdomain: subdomain.trim().toLowerCase(), theme, currency: currency.trim().toUpperCase(), language, adminEmail: adminEmail.trim(), adminName },
    });
    const brand = data?.brandCreate.brand;
    if (brand) {
      setCreated(brand);
      setInvited(adminEmail.trim().toLowerCase());
      setName("");
      setSubdomain("");
      setAdminEmail("");
      setAdminName("");
      onCreated();
    }
  };
  return (
    <Card title={t("console.create")}>
      <div className="live-region" role="status">
        {created ? (
          <div className="alert alert-success" data-testid="brand-created">
            <p>
              {t("console.created", { name: created.name, ms: created.provisioningMs ?? "?" })}{" "}
              <a href={brandUrl(created.domain)}>{created.domain}</a>
            </p>
            {invited ? <p>{t("console.invited", { email: invited })}</p> : null}
          </div>
        ) : null}
      </div>
      <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("console.create")}>
        <TextField name="name" label={t("console.name")} value={name} onChange={setName} />
        <TextField name="subdomain" label={t("console.subdomain")} hint={t("console.subdomainHint")} value={subdomain} onChange={setSubdomain} suffix={`.${root}`} autoCapitalize="none" spellCheck={false} />
        <SelectField
          name="theme"
          label={t("theme.theme")}
          value={theme}
          onChange={setTheme}
          options={(themes.data?.themes ?? [{ name: "default", label: "Neutral" }]).map((item) => ({ value: item.name, label: item.label }))}
        />
        <div className="form-grid">
          <TextField name="currency" label={t("console.currency")} value={currency} onChange={setCurrency} maxLength={3} />
          <SelectField
            name="language"
            label={t("theme.language")}
            value={language}
            onChange={(value) => setLanguage(value as LanguageCode)}
            options={[
              { value: "EN", label: "English" },
              { value: "FR", label: "Français" },
            ]}
          />
        </div>
        <div className="form-grid">
          <TextField name="adminEmail" type="email" label={t("console.adminEmail")} hint={t("console.adminEmailHint")} value={adminEmail} onChange={setAdminEmail} required />
          <TextField name="adminName" label={t("console.adminName")} value={adminName} onChange={setAdminName} />
        </div>
        <FormErrors />
        <SubmitButton>{t("console.createButton")}</SubmitButton>
      </Form>
    </Card>
  );
}

function Brands() {
  const i18n = useI18n();
  const { t } = i18n;
  const [after, setAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({ query: BrandsQuery, variables: { after }, requestPolicy: "cache-and-network" });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div className="grid grid-sidebar-right">
      <Card title={result.data ? t("console.brandsCount", { count: result.data.brands.totalCount }) : t("console.brands")}>
        <QueryState result={result} retry={refresh} isEmpty={(data) => data.brands.edges.length === 0} empty={<Empty title={t("console.empty")} />}>
          {(data) => (
            <div className="table-wrap" tabIndex={0}>
              <table className="table" data-testid="brands-table">
                <caption className="visually-hidden">{t("console.brands")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("console.name")}</th>
                    <th scope="col">{t("console.domain")}</th>
                    <th scope="col">{t("theme.theme")}</th>
                    <th scope="col">{t("console.locale")}</th>
                    <th scope="col" className="numeric">
                      {t("console.provisioning")}
                    </th>
                    <th scope="col">{t("console.createdAt")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.brands.edges.map(({ node }) => (
                    <tr key={node.id}>
                      <td>
                        <strong>{node.name}</strong>
                      </td>
                      <td>
                        <a href={brandUrl(node.domain)}>{node.domain}</a>
                      </td>
                      <td>
                        <span className="swatches" aria-hidden="true">
                          <span className="swatch" style={{ background: node.theme.colors.primary }} />
                          <span className="swatch" style={{ background: node.theme.colors.background }} />
                        </span>{" "}
                        {node.theme.label}
                      </td>
                      <td>
                        {node.currency} · {node.language}
                      </td>
                      <td className="numeric">{node.provisioningMs === null ? "—" : t("console.ms", { ms: i18n.number(node.provisioningMs) })}</td>
                      <td>{i18n.date(node.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager after={after} pageInfo={data.brands.pageInfo} onPage={setAfter} />
            </div>
          )}
        </QueryState>
      </Card>
      <CreateBrand onCreated={refresh} />
    </div>
  );
}

export default function Console() {
  const { t } = useI18n();
  const { me } = useSession();
  if (me?.role !== "OPERATOR") return <Login />;
  return (
    <div className="stack">
      <PageHeader title={t("console.title")} subtitle={t("console.subtitle")} />
      <Brands />
      <IpBlocks />
    </div>
  );
}
