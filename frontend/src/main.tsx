import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { ensureCsrfCookie } from "./api/csrf";
import { App } from "./app/App";
import { readBootData } from "./app/session";
import "./styles/global.css";

async function start() {
  const boot = readBootData();
  if (!boot) await ensureCsrfCookie(); // Vite's dev server: Django did not render this page
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App boot={boot} />
    </StrictMode>,
  );
}

void start();
