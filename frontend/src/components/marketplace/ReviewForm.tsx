/** A verified buyer rates a deal (1 to 5 stars), once; the API refuses anyone else. */
import { useState } from "react";

import { useFormMutation } from "../../api/mutation";
import { useI18n } from "../../i18n";
import { FieldMessages, Form, FormErrors, SubmitButton, TextAreaField, TextField, useFieldErrors } from "../form";
import { ReviewCreateMutation } from "./documents";
import { StarPicker } from "./Stars";

function RatingField({ value, onChange }: { value: number; onChange: (rating: number) => void }) {
  const { t } = useI18n();
  const errors = useFieldErrors("rating");
  return (
    <div className={`field${errors.length ? " field-invalid" : ""}`}>
      <StarPicker value={value} onChange={onChange} legend={t("reviews.rating")} invalid={errors.length > 0} />
      <FieldMessages name="rating" />
    </div>
  );
}

export function ReviewForm({ productId, onDone }: { productId: string; onDone?: () => void }) {
  const { t } = useI18n();
  const [rating, setRating] = useState(0);
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [done, setDone] = useState(false);
  const create = useFormMutation(ReviewCreateMutation, (data) => data.reviewCreate);
  const submit = async () => {
    if (rating === 0) {
      create.setErrors([{ field: "rating", code: "REQUIRED", message: t("reviews.pickRating") }]);
      return;
    }
    if (await create.run({ productId, rating, title: title.trim(), body: body.trim() })) {
      setDone(true);
      onDone?.();
    }
  };
  if (done) {
    return (
      <div className="alert alert-success" role="status" data-testid="review-thanks">
        <p>{t("reviews.thanks")}</p>
      </div>
    );
  }
  return (
    <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("reviews.write")}>
      <RatingField value={rating} onChange={setRating} />
      <TextField name="title" label={t("reviews.title")} hint={t("common.optional")} value={title} onChange={setTitle} maxLength={120} />
      <TextAreaField name="body" label={t("reviews.body")} hint={t("common.optional")} value={body} onChange={setBody} rows={4} />
      <FormErrors />
      <SubmitButton>{t("reviews.submit")}</SubmitButton>
    </Form>
  );
}
