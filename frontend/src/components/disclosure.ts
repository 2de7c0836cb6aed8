/**
 * A disclosure (a button that shows and hides a panel: the account menu, the ☰ menu, the
 * workspace menu's groups), as the WAI-ARIA disclosure pattern has it: the button says
 * `aria-expanded` and `aria-controls`; Enter and Space toggle it (a native <button>); Escape
 * closes it and gives the focus back to the button; a click or focus outside closes it.
 */
import { useCallback, useEffect, useId, useRef, useState, type RefObject } from "react";

export interface Disclosure<Container extends HTMLElement> {
  open: boolean;
  setOpen: (open: boolean) => void;
  /** Wraps both the button and the panel: outside it is "outside". */
  containerRef: RefObject<Container>;
  buttonRef: RefObject<HTMLButtonElement>;
  buttonProps: {
    "aria-expanded": boolean;
    "aria-controls": string;
    onClick: () => void;
  };
  panelId: string;
}

export function useDisclosure<Container extends HTMLElement = HTMLDivElement>(): Disclosure<Container> {
  const [open, setOpen] = useState(false);
  const panelId = `disclosure-${useId().replace(/:/g, "")}`;
  const containerRef = useRef<Container>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const container = containerRef.current;
    // On the container, not the document: in nested disclosures (a group inside the ☰ menu)
    // the innermost one the focus is in closes first, and the key goes no further.
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
      buttonRef.current?.focus();
    };
    const onOutside = (event: Event) => {
      if (container && event.target instanceof Node && !container.contains(event.target)) setOpen(false);
    };
    container?.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onOutside);
    document.addEventListener("focusin", onOutside);
    return () => {
      container?.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onOutside);
      document.removeEventListener("focusin", onOutside);
    };
  }, [open]);

  const toggle = useCallback(() => setOpen((current) => !current), []);
  return {
    open,
    setOpen,
    containerRef,
    buttonRef,
    buttonProps: { "aria-expanded": open, "aria-controls": panelId, onClick: toggle },
    panelId,
  };
}
