import { useState } from "react";
import { useMutation, useQuery } from "urql";

import { asUserErrors } from "../../api/errors";
import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SelectField, SubmitButton, TextField, useErrorMessage } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Card } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";
import { BrandsQuery } from "./Console";

export const IpBlocksQuery = graphql(`
  query IpBlocks {
    ipBlocks(first: 100) {
      totalCount
      edges {
        node {
          id
          brandId
          network
          note
          createdByEmail
          createdAt
        }
      }
    }
  }
`);

export const IpBlockCreateMutation = graphql(`
  mutation IpBlockCreate($input: IpBlockCreateInput!) {
    ipBlockCreate(input: $input) {
      ipBlock {
        id
        network
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const IpBlockDeleteMutation = graphql(`
  mutation IpBlockDelete($id: ID!) {
    ipBlockDelete(id: $id) {
      deletedId
      errors {
        field
        code
        message
      }
    }
  }
`);

/** IP blocks per brand: requests from a blocked address or range get 403 on that brand's hosts. */
export default function IpBlocks() {
  const i18n = useI18n();
  const { t } = i18n;
  const errorMessage = useErrorMessage();
  const [brands] = useQuery({ query: BrandsQuery, variables: { after: null } });
  const [result, reexecute] = useQuery({ query: IpBlocksQuery, requestPolicy: "cache-and-network" });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const brandOptions = (brands.data?.brands.edges ?? []).map(({ node }) => ({ value: node.id, label: `${node.name} (${node.domain})` }));
  const brandName = (id: string) => brandOptions.find((option) => option.value === id)?.label ?? id;
  const [brandId, setBrandId] = useState("");
  const [network, setNetwork] = useState("");
  const [note, setNote] = useState("");
  const create = useFormMutation(IpBlockCreateMutation, (data) => data.ipBlockCreate);
  const [removal, remove] = useMutation(IpBlockDeleteMutation);
  const [removalError, setRemovalError] = useState<string | null>(null);
  const chosenBrand = brandId || brandOptions[0]?.value || "";
  const submit = async () => {
    const data = await create.run({ input: { brandId: chosenBrand, network: network.trim(), note } });
    if (data?.ipBlockCreate.ipBlock) {
      setNetwork("");
      setNote("");
      refresh();
    }
  };
  const lift = async (id: string) => {
    setRemovalError(null);
    const answer = await remove({ id });
    const errors = answer.error ? asUserErrors(answer.error) : (answer.data?.ipBlockDelete.errors ?? []);
    if (errors.length > 0) setRemovalError(errorMessage(errors[0]));
    refresh();
  };
  return (
    <div className="grid grid-sidebar-right" data-testid="ip-blocks">
      <Card title={t("ipBlocks.title")}>
        <p className="muted">{t("ipBlocks.subtitle")}</p>
        {removalError ? (
          <div className="alert alert-error" role="alert">
            {removalError}
          </div>
        ) : null}
        <QueryState result={result} retry={refresh} isEmpty={(data) => data.ipBlocks.edges.length === 0} empty={<Empty title={t("ipBlocks.empty")} />}>
          {(data) => (
            <div className="table-wrap" tabIndex={0}>
              <table className="table" data-testid="ip-blocks-table">
                <caption className="visually-hidden">{t("ipBlocks.title")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("ipBlocks.network")}</th>
                    <th scope="col">{t("ipBlocks.brand")}</th>
                    <th scope="col">{t("ipBlocks.note")}</th>
                    <th scope="col">{t("ipBlocks.by")}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t("ipBlocks.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.ipBlocks.edges.map(({ node }) => (
                    <tr key={node.id}>
                      <td>
                        <code>{node.network}</code>
                      </td>
                      <td>{brandName(node.brandId)}</td>
                      <td>{node.note}</td>
                      <td>
                        {node.createdByEmail} · {i18n.date(node.createdAt)}
                      </td>
                      <td>
                        <button type="button" className="button button-ghost" disabled={removal.fetching} onClick={() => lift(node.id)}>
                          {t("ipBlocks.lift", { network: node.network })}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryState>
      </Card>
      <Card title={t("ipBlocks.create")}>
        <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("ipBlocks.create")}>
          <SelectField name="brandId" label={t("ipBlocks.brand")} value={chosenBrand} onChange={setBrandId} options={brandOptions} />
          <TextField name="network" label={t("ipBlocks.network")} hint={t("ipBlocks.networkHint")} value={network} onChange={setNetwork} autoCapitalize="none" spellCheck={false} />
          <TextField name="note" label={t("ipBlocks.note")} value={note} onChange={setNote} maxLength={200} />
          <FormErrors />
          <SubmitButton>{t("ipBlocks.block")}</SubmitButton>
        </Form>
      </Card>
    </div>
  );
}
