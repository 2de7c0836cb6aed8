/** Providers and router. The router is built once: a page's host (brand or root) never changes. */
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from "react-router";
import { Provider as UrqlProvider, useQuery } from "urql";

import { createAppClient } from "../api/client";
import { Layout } from "../components/Layout";
import { ErrorState, Loading } from "../components/states";
import type { BootQuery } from "../gql/graphql";
import { browserLanguage, I18nProvider, languageOf, useI18n } from "../i18n";
import NotFound from "../pages/NotFound";
import { TwoFactorStatusQuery } from "../pages/security/documents";
import { dropServerHead } from "./prerender";
import { canOpen, ENROLMENT_PATH, routesFor, type AppRoute, type Host } from "./routes";
import { SessionProvider, useSession } from "./session";

function Guard({ route }: { route: AppRoute }) {
  const { me, brand } = useSession();
  const { t } = useI18n();
  const location = useLocation();
  useEffect(() => {
    const main = document.getElementById("main");
    if (main && document.activeElement !== main && location.key !== "default") main.focus({ preventScroll: true });
    if (location.key !== "default") dropServerHead(); // they describe the page first loaded
    window.scrollTo(0, 0);
  }, [location.pathname, location.key]);
  useEffect(() => {
    document.title = `${t(route.title)} · ${brand?.name ?? t("console.platform")}`;
  }, [route.title, t, brand?.name]);
  if (!canOpen(route, me?.role ?? null)) {
    if (!me) {
      const next = encodeURIComponent(location.pathname + location.search);
      return <Navigate to={`/login?next=${next}`} replace />;
    }
    return (
      <div className="state state-error" role="alert">
        <p className="state-title">{t("state.forbidden")}</p>
      </div>
    );
  }
  if (me) return <EnrolmentGate route={route} />;
  const Page = route.page;
  return <Page />;
}

/** A signed-in user of a role where two-factor is mandatory, not enrolled yet, is sent to the
 * enrolment page before anything else (the API refuses them everything else anyway). */
function EnrolmentGate({ route }: { route: AppRoute }) {
  const [{ data, fetching }] = useQuery({ query: TwoFactorStatusQuery });
  if (fetching && !data) return <Loading />;
  if (data?.twoFactorStatus.enrolmentRequired && route.path !== ENROLMENT_PATH) return <Navigate to={ENROLMENT_PATH} replace />;
  const Page = route.page;
  return <Page />;
}

export function buildRouter(host: Host) {
  return createBrowserRouter([
    {
      element: <Layout />,
      errorElement: <ErrorState />,
      children: [
        ...routesFor(host).map((route) => ({ path: route.path, element: <Guard route={route} /> })),
        { path: "*", element: <NotFound /> },
      ],
    },
  ]);
}

function Routed({ host }: { host: Host }) {
  const router = useMemo(() => buildRouter(host), [host]);
  return <RouterProvider router={router} />;
}

/** Shown before the session (and so the brand's language) has loaded, as in `npm run dev` where
 * Django did not inline it: it has a provider of its own, in the visitor's stored or browser language. */
function Splash(): ReactNode {
  return (
    <I18nProvider defaultLanguage={browserLanguage()}>
      <div className="splash">
        <Loading />
      </div>
    </I18nProvider>
  );
}

export function App({ boot }: { boot: BootQuery | null }) {
  // A new client (and websocket) whenever the signed-in user changes.
  const [generation, setGeneration] = useState(0);
  const appClient = useMemo(() => createAppClient(), [generation]);
  useEffect(() => () => appClient.dispose(), [appClient]);
  const renew = useCallback(() => setGeneration((value) => value + 1), []);
  return (
    <UrqlProvider value={appClient.client}>
      <SessionProvider boot={boot} onUserChange={renew} splash={<Splash />}>
        {(session) => (
          <I18nProvider defaultLanguage={languageOf(session.brand?.language)}>
            <Routed host={session.isRoot ? "root" : "brand"} />
          </I18nProvider>
        )}
      </SessionProvider>
    </UrqlProvider>
  );
}
