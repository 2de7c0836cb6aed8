/**
 * A small rich-text field for deal descriptions: bold, italic, a heading, lists and links. The
 * browser's editing commands write the HTML; the server sanitizes it (an allow-list of tags) on
 * save, so what is stored and shown back is always safe.
 */
import { useEffect, useId, useRef } from "react";

import { useI18n } from "../../i18n";
import { useErrorMessage, useFieldErrors } from "../form";

type Command = { command: string; value?: string; label: string; glyph: string };

export function RichTextEditor({ name, label, value, onChange, hint }: { name: string; label: string; value: string; onChange: (html: string) => void; hint?: string }) {
  const { t } = useI18n();
  const id = useId();
  const editor = useRef<HTMLDivElement>(null);
  const errors = useFieldErrors(name);
  const message = useErrorMessage();
  // The editor owns its DOM while focused; only outside changes (a reload) are written back.
  useEffect(() => {
    const element = editor.current;
    if (element && element.innerHTML !== value && document.activeElement !== element) element.innerHTML = value;
  }, [value]);
  const commands: Command[] = [
    { command: "bold", label: t("editor.bold"), glyph: "B" },
    { command: "italic", label: t("editor.italic"), glyph: "I" },
    { command: "formatBlock", value: "h3", label: t("editor.heading"), glyph: "H" },
    { command: "formatBlock", value: "p", label: t("editor.paragraph"), glyph: "¶" },
    { command: "insertUnorderedList", label: t("editor.bullets"), glyph: "•" },
    { command: "insertOrderedList", label: t("editor.numbers"), glyph: "1." },
    { command: "createLink", label: t("editor.link"), glyph: "↗" },
    { command: "removeFormat", label: t("editor.clear"), glyph: "⌫" },
  ];
  const run = (item: Command) => {
    editor.current?.focus();
    if (item.command === "createLink") {
      const url = window.prompt(t("editor.linkPrompt"), "https://");
      if (!url || !/^https?:\/\//.test(url)) return;
      document.execCommand("createLink", false, url);
    } else {
      document.execCommand(item.command, false, item.value);
    }
    onChange(editor.current?.innerHTML ?? "");
  };
  const describedBy = errors.length ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field rich-field${errors.length ? " field-invalid" : ""}`}>
      <span className="field-label" id={`${id}-label`}>
        {label}
      </span>
      <div className="rich-toolbar" role="toolbar" aria-label={t("editor.toolbar")} aria-controls={id}>
        {commands.map((item) => (
          <button
            key={`${item.command}-${item.value ?? ""}`}
            type="button"
            className="rich-button"
            title={item.label}
            aria-label={item.label}
            // Keep the selection in the editor when a button is pressed with the mouse.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => run(item)}
          >
            <span aria-hidden="true">{item.glyph}</span>
          </button>
        ))}
      </div>
      <div
        id={id}
        ref={editor}
        className="rich-editor rich-text"
        contentEditable
        suppressContentEditableWarning
        role="textbox"
        aria-multiline="true"
        aria-labelledby={`${id}-label`}
        aria-describedby={describedBy}
        aria-invalid={errors.length > 0}
        tabIndex={0}
        data-name={name}
        onInput={(event) => onChange((event.target as HTMLDivElement).innerHTML)}
        onBlur={(event) => onChange((event.target as HTMLDivElement).innerHTML)}
      />
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
