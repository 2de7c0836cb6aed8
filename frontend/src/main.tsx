import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { ensureCsrfCookie } from "./api/csrf";
import { App } from "./app/App";
import { appContainer } from "./app/prerender";
import { readBootData } from "./app/session";
import "./styles/global.css";
// The deal pages' styles come with the first stylesheet, not with their lazy chunk: Django
// prerenders the deals list and deal pages (app/prerender.ts), and they must paint styled.
import "./components/marketplace/marketplace.css";

async function start() {
  const boot = readBootData();
  if (!boot) await ensureCsrfCookie(); // Vite's dev server: Django did not render this page
  createRoot(appContainer()).render(
    <StrictMode>
      <App boot={boot} />
    </StrictMode>,
  );
}

void start();
