/**
 * Forms whose errors appear where the field is. A mutation answers `errors { field code
 * message }`; give them to <Form errors>: each field shows its own (matched by `name`, e.g.
 * "amount" or "details.iban"), and <FormErrors/> lists the rest (no field, or a field this form
 * does not show). After a failed submit the first field in error gets the focus.
 *
 *   <Form onSubmit={save} errors={errors} busy={fetching}>
 *     <TextField name="amount" label={t("wallet.amount")} value={amount} onChange={setAmount} />
 *     <FormErrors />
 *     <SubmitButton>{t("common.save")}</SubmitButton>
 *   </Form>
 */
import {
  createContext,
  useContext,
  useEffect,
  useId,
  useRef,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";

import type { UserError } from "../api/errors";
import { isMessageKey, useI18n } from "../i18n";

interface FormState {
  errors: UserError[];
  busy: boolean;
  /** Field names rendered by this form, collected while rendering (before <FormErrors/>). */
  fields: Set<string>;
}

const FormContext = createContext<FormState>({ errors: [], busy: false, fields: new Set() });

/**
 * The message to show for an error: our catalog's wording for its code, else the server's.
 * When the error carries its specifics (`params`: a minimum, a balance) and the catalog has a
 * detailed wording (`errorDetail.<CODE>`), that one is used, filled in: a French message then
 * says as much as the server's English sentence. Amounts are formatted with their currency.
 */
export function useErrorMessage(): (error: UserError) => string {
  const i18n = useI18n();
  const { t, lang } = i18n;
  return (error) => {
    const key = `error.${error.code}`;
    const detailKey = `errorDetail.${error.code}`;
    if (lang !== "en" && error.params?.length && isMessageKey(detailKey)) {
      const values = Object.fromEntries(error.params.map((param) => [param.name, param.value]));
      const currency = values.currency;
      const filled: Record<string, string> = {};
      for (const [name, value] of Object.entries(values)) {
        filled[name] = currency && name !== "currency" && /^-?\d+(\.\d+)?$/.test(value) ? i18n.money({ amount: value, currency }) : value;
      }
      const text = t(detailKey, filled);
      if (!/\{\w+\}/.test(text)) return text;
    }
    // The server's English sentences carry specifics (the minimum, the balance): keep them.
    if (lang !== "en" && isMessageKey(key)) return t(key);
    return error.message || (isMessageKey(key) ? t(key) : error.code);
  };
}

export function Form({
  onSubmit,
  errors = [],
  busy = false,
  children,
  className,
  "aria-label": ariaLabel,
}: {
  onSubmit: () => void;
  errors?: UserError[];
  busy?: boolean;
  children: ReactNode;
  className?: string;
  "aria-label"?: string;
}) {
  const ref = useRef<HTMLFormElement>(null);
  const fields = new Set<string>();
  useEffect(() => {
    if (errors.length === 0) return;
    const invalid = ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (invalid ?? ref.current?.querySelector<HTMLElement>(".form-errors"))?.focus();
  }, [errors]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy) onSubmit();
  };
  return (
    <FormContext.Provider value={{ errors, busy, fields }}>
      <form ref={ref} onSubmit={submit} noValidate className={className ?? "form"} aria-label={ariaLabel} aria-busy={busy}>
        {children}
      </form>
    </FormContext.Provider>
  );
}

/** The errors of field ``name`` (and registers the field with its form). */
export function useFieldErrors(name: string): UserError[] {
  const { errors, fields } = useContext(FormContext);
  fields.add(name);
  return errors.filter((error) => error.field === name);
}

/** Errors no field of this form shows. Put it after the fields, before the buttons. */
export function FormErrors() {
  const { errors, fields } = useContext(FormContext);
  const message = useErrorMessage();
  const rest = errors.filter((error) => !error.field || !fields.has(error.field));
  if (rest.length === 0) return null;
  return (
    <div className="form-errors alert alert-error" role="alert" tabIndex={-1}>
      {rest.map((error, index) => (
        <p key={index}>{message(error)}</p>
      ))}
    </div>
  );
}

interface FieldFrame {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  errors: UserError[];
  children: ReactNode;
  className?: string;
  /** Marks the label (an asterisk drawn by CSS); the control itself carries `required`. */
  required?: boolean;
}

function Frame({ id, label, hint, errors, children, className, required }: FieldFrame) {
  const message = useErrorMessage();
  return (
    <div className={`field${errors.length ? " field-invalid" : ""}${required ? " field-required" : ""}${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !errors.length ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {errors.map((error, index) => (
        <p className="field-error" id={index === 0 ? `${id}-error` : undefined} key={index} role="alert">
          {message(error)}
        </p>
      ))}
    </div>
  );
}

function describedBy(id: string, hint: ReactNode, errors: UserError[]): string | undefined {
  if (errors.length) return `${id}-error`;
  return hint ? `${id}-hint` : undefined;
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, "onChange" | "value" | "name"> & {
  name: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  suffix?: ReactNode;
};

export function TextField({ name, label, value, onChange, hint, suffix, className, ...rest }: InputProps) {
  const id = `${useId()}-${name}`;
  const errors = useFieldErrors(name);
  const { busy } = useContext(FormContext);
  const input = (
    <input
      id={id}
      name={name}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      aria-invalid={errors.length > 0}
      aria-describedby={describedBy(id, hint, errors)}
      readOnly={busy || rest.readOnly}
      {...rest}
    />
  );
  return (
    <Frame id={id} label={label} hint={hint} errors={errors} className={className} required={rest.required}>
      {suffix ? (
        <div className="input-group">
          {input}
          <span className="input-suffix">{suffix}</span>
        </div>
      ) : (
        input
      )}
    </Frame>
  );
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "onChange" | "value" | "name"> & {
  name: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
};

export function TextAreaField({ name, label, value, onChange, hint, className, ...rest }: TextAreaProps) {
  const id = `${useId()}-${name}`;
  const errors = useFieldErrors(name);
  return (
    <Frame id={id} label={label} hint={hint} errors={errors} className={className}>
      <textarea
        id={id}
        name={name}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy(id, hint, errors)}
        {...rest}
      />
    </Frame>
  );
}

type SelectProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, "onChange" | "value" | "name"> & {
  name: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  hint?: ReactNode;
};

export function SelectField({ name, label, value, onChange, options, hint, className, ...rest }: SelectProps) {
  const id = `${useId()}-${name}`;
  const errors = useFieldErrors(name);
  return (
    <Frame id={id} label={label} hint={hint} errors={errors} className={className} required={rest.required}>
      <select
        id={id}
        name={name}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy(id, hint, errors)}
        {...rest}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </Frame>
  );
}

export function CheckboxField({
  name,
  label,
  checked,
  onChange,
  hint,
}: {
  name: string;
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
}) {
  const id = `${useId()}-${name}`;
  const errors = useFieldErrors(name);
  const message = useErrorMessage();
  return (
    <div className={`field field-check${errors.length ? " field-invalid" : ""}`}>
      <input
        id={id}
        type="checkbox"
        name={name}
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy(id, hint, errors)}
      />
      <label htmlFor={id}>{label}</label>
      {hint && !errors.length ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {errors.map((error, index) => (
        <p className="field-error" id={index === 0 ? `${id}-error` : undefined} key={index} role="alert">
          {message(error)}
        </p>
      ))}
    </div>
  );
}

/** A group of checkboxes or radio buttons under one legend, with the group's field errors. */
export function ChoiceGroup({
  name,
  legend,
  type,
  options,
  value,
  onChange,
}: {
  name: string;
  legend: ReactNode;
  type: "radio" | "checkbox";
  options: { value: string; label: ReactNode }[];
  value: string[];
  onChange: (value: string[]) => void;
}) {
  const baseId = useId();
  const errors = useFieldErrors(name);
  const message = useErrorMessage();
  const toggle = (option: string, checked: boolean) => {
    if (type === "radio") onChange([option]);
    else onChange(checked ? [...value, option] : value.filter((item) => item !== option));
  };
  return (
    <fieldset
      className={`field choice-group${errors.length ? " field-invalid" : ""}`}
      aria-describedby={errors.length ? `${baseId}-error` : undefined}
    >
      <legend>{legend}</legend>
      <div className="choices">
        {options.map((option, index) => (
          <label key={option.value} className="choice">
            <input
              type={type}
              name={`${baseId}-${name}`}
              value={option.value}
              checked={value.includes(option.value)}
              onChange={(event) => toggle(option.value, event.target.checked)}
              aria-invalid={index === 0 && errors.length > 0 ? true : undefined}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </div>
      {errors.map((error, index) => (
        <p className="field-error" id={index === 0 ? `${baseId}-error` : undefined} key={index} role="alert">
          {message(error)}
        </p>
      ))}
    </fieldset>
  );
}

export function SubmitButton({ children, variant = "primary" }: { children: ReactNode; variant?: string }) {
  const { busy } = useContext(FormContext);
  return (
    <button type="submit" className={`button button-${variant}`} disabled={busy} aria-disabled={busy}>
      {busy ? <span className="spinner spinner-inline" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

/** The errors of ``name`` where a group of inputs stands for one API field (e.g. "subIds"). */
export function FieldMessages({ name }: { name: string }) {
  const errors = useFieldErrors(name);
  const message = useErrorMessage();
  return (
    <>
      {errors.map((error, index) => (
        <p className="field-error" key={index} role="alert">
          {message(error)}
        </p>
      ))}
    </>
  );
}
