import { useState } from "react";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { Form, FormErrors, SubmitButton, TextAreaField, TextField } from "../../components/form";
import { Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";

export const ContactMessageSendMutation = graphql(`
  mutation ContactMessageSend($input: ContactMessageInput!) {
    contactMessageSend(input: $input) {
      ok
      errors {
        field
        code
        message
      }
    }
  }
`);

/** The contact form: errors at their fields, a thank-you once sent. `website` is a honeypot,
 * hidden from people and assistive technology; bots that fill it in are dropped by the server. */
export function ContactForm({ defaultName = "", defaultEmail = "" }: { defaultName?: string; defaultEmail?: string }) {
  const { t, lang } = useI18n();
  const [name, setName] = useState(defaultName);
  const [email, setEmail] = useState(defaultEmail);
  const [subject, setSubject] = useState("");
  const [message, setMessage] = useState("");
  const [website, setWebsite] = useState("");
  const [sent, setSent] = useState<{ name: string; email: string } | null>(null);
  const send = useFormMutation(ContactMessageSendMutation, (data) => data.contactMessageSend);

  const submit = async () => {
    const data = await send.run({ input: { name, email, subject, message, locale: lang, website } });
    if (data?.contactMessageSend.ok) {
      setSent({ name: name.trim(), email: email.trim() });
      setSubject("");
      setMessage("");
    }
  };

  if (sent) {
    return (
      <Card>
        <div className="stack" role="status" data-testid="contact-sent">
          <h2>{t("contact.sentTitle")}</h2>
          <p>{t("contact.sentBody", sent)}</p>
          <div className="button-row">
            <button type="button" className="button button-secondary" onClick={() => setSent(null)}>
              {t("contact.another")}
            </button>
          </div>
        </div>
      </Card>
    );
  }
  return (
    <Card>
      <Form onSubmit={() => void submit()} errors={send.errors} busy={send.fetching} aria-label={t("contact.title")}>
        <TextField name="name" label={t("contact.name")} value={name} onChange={setName} autoComplete="name" maxLength={120} required />
        <TextField name="email" type="email" label={t("contact.email")} value={email} onChange={setEmail} autoComplete="email" maxLength={254} required />
        <TextField name="subject" label={t("contact.subject")} value={subject} onChange={setSubject} maxLength={200} required />
        <TextAreaField name="message" label={t("contact.message")} value={message} onChange={setMessage} rows={6} maxLength={5000} required />
        <div className="visually-hidden" aria-hidden="true">
          <label>
            {t("contact.website")}
            <input type="text" name="website" value={website} onChange={(event) => setWebsite(event.target.value)} tabIndex={-1} autoComplete="off" />
          </label>
        </div>
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("contact.send")}</SubmitButton>
        </div>
      </Form>
    </Card>
  );
}

export default function Contact() {
  const { t } = useI18n();
  const { brand, me } = useSession();
  return (
    <div className="stack contact">
      <PageHeader title={t("contact.title")} subtitle={t("contact.subtitle", { brand: brand?.name ?? "" })} />
      <ContactForm defaultName={me?.fullName ?? ""} defaultEmail={me?.email ?? ""} />
    </div>
  );
}
