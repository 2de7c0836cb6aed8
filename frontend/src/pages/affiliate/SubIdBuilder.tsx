import { useId, useState } from "react";

import { CopyButton } from "../../components/ui";
import { useI18n } from "../../i18n";
import { SUB_ID_KEYS, trackingUrl } from "./links";

/** Builds a tracked URL with sub-ids (and a campaign) added at click time, ready to copy. */
export function SubIdBuilder({ url }: { url: string }) {
  const { t } = useI18n();
  const baseId = useId();
  const [values, setValues] = useState<Record<string, string>>({});
  const keys = [...SUB_ID_KEYS, "utm_campaign"];
  const built = trackingUrl(url, values);
  return (
    <div className="sub-id-builder">
      <div className="sub-id-fields">
        {keys.map((key) => (
          <div className="field field-compact" key={key}>
            <label htmlFor={`${baseId}-${key}`}>{key}</label>
            <input
              id={`${baseId}-${key}`}
              value={values[key] ?? ""}
              onChange={(event) => setValues((current) => ({ ...current, [key]: event.target.value }))}
              placeholder={key === "utm_campaign" ? "spring" : "instagram"}
            />
          </div>
        ))}
      </div>
      <div className="copy-row">
        <output className="copy-value" aria-label={t("links.builtUrl")} data-testid="built-url">
          {built}
        </output>
        <CopyButton text={built} />
      </div>
    </div>
  );
}
