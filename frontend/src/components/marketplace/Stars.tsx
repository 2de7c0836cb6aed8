/** A rating out of five, as stars, and the star picker of the review form. */
import { useId, type CSSProperties } from "react";

import { useI18n } from "../../i18n";

/** The share of the five stars to fill, in percent (the average over 5). */
export function starFill(average: string | number): number {
  const value = Math.max(0, Math.min(5, Number(average) || 0));
  return Math.round((value / 5) * 1000) / 10;
}

export function Stars({ value, count }: { value: string | number; count?: number }) {
  const { t, number } = useI18n();
  const average = Number(value) || 0;
  const label = t("reviews.average", { average: number(average.toFixed(1)) });
  return (
    <p className="stars" data-testid="stars">
      <span className="stars-glyphs" role="img" aria-label={label} style={{ "--stars-fill": `${starFill(average)}%` } as CSSProperties} />
      <span className="stars-text small">
        {number(average.toFixed(1))}
        {count !== undefined ? <span className="muted"> ({t("reviews.count", { count })})</span> : null}
      </span>
    </p>
  );
}

/** Five radio buttons (arrow keys move between them), one per star. */
export function StarPicker({ value, onChange, legend, invalid, describedBy }: { value: number; onChange: (rating: number) => void; legend: string; invalid?: boolean; describedBy?: string }) {
  const { t } = useI18n();
  const name = useId();
  return (
    <fieldset className="star-picker" aria-invalid={invalid || undefined} aria-describedby={describedBy}>
      <legend>{legend}</legend>
      <div className="star-picker-choices">
        {[1, 2, 3, 4, 5].map((rating) => (
          <label key={rating} className={rating <= value ? "star-on" : "star-off"}>
            <input type="radio" name={name} value={rating} checked={value === rating} onChange={() => onChange(rating)} className="visually-hidden" />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">{t("reviews.stars", { count: rating })}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
