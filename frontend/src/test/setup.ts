import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

import { loadLanguage } from "../i18n";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  document.documentElement.removeAttribute("style");
  document.documentElement.removeAttribute("lang");
  delete document.documentElement.dataset.theme;
  delete document.documentElement.dataset.mode;
});

// Components render synchronously in tests: both catalogs are there from the start (the app
// downloads only the one it shows, see i18n/index.tsx).
await Promise.all([loadLanguage("en"), loadLanguage("fr")]);
