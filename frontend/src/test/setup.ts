import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  document.documentElement.removeAttribute("style");
  document.documentElement.removeAttribute("lang");
  delete document.documentElement.dataset.theme;
  delete document.documentElement.dataset.mode;
});
