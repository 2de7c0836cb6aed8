/** The frame of every page: header (brand, menus, language, colour mode, account), content, footer. */
import { Suspense, useEffect, useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useMutation } from "urql";

import { recordPageView } from "../api/pageviews";
import { canOpen, routesFor, type AppRoute, type NavSection } from "../app/routes";
import { useSession } from "../app/session";
import { graphql } from "../gql";
import { LANGUAGES, useI18n, type Language } from "../i18n";
import { NotificationBell } from "../pages/notifications/Bell";
import { ConsentBanner } from "../pages/privacy/ConsentBanner";
import { Loading } from "./states";

export const LogoutMutation = graphql(`
  mutation Logout {
    logout {
      ok
    }
  }
`);

function useNav(section: NavSection): AppRoute[] {
  const { isRoot, me } = useSession();
  return routesFor(isRoot ? "root" : "brand").filter(
    (route) => route.nav?.section === section && canOpen(route, me?.role ?? null),
  );
}

function NavItems({ routes, onNavigate }: { routes: AppRoute[]; onNavigate?: () => void }) {
  const { t } = useI18n();
  return (
    <>
      {routes.map((route) => (
        <li key={route.path}>
          <NavLink to={route.path} end={route.path === "/"} onClick={onNavigate}>
            {t(route.nav?.label ?? route.title)}
          </NavLink>
        </li>
      ))}
    </>
  );
}

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t("common.language")}</span>
      <select value={lang} onChange={(event) => setLang(event.target.value as Language)} aria-label={t("common.language")}>
        {LANGUAGES.map((language) => (
          <option key={language.code} value={language.code} lang={language.code} title={language.label}>
            {language.code.toUpperCase()}
          </option>
        ))}
      </select>
    </label>
  );
}

function ModeToggle() {
  const { mode, setMode, isRoot } = useSession();
  const { t } = useI18n();
  if (isRoot) return null;
  const next = mode === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="icon-button"
      onClick={() => setMode(next)}
      aria-label={next === "dark" ? t("common.darkMode") : t("common.lightMode")}
      title={next === "dark" ? t("common.darkMode") : t("common.lightMode")}
    >
      <span aria-hidden="true">{mode === "dark" ? "☀" : "☾"}</span>
    </button>
  );
}

function AccountMenu() {
  const { me, setMe, isRoot } = useSession();
  const { t } = useI18n();
  const navigate = useNavigate();
  const [, logout] = useMutation(LogoutMutation);
  const accountRoutes = useNav("account");
  if (!me) {
    return (
      <div className="account-actions">
        <Link className="button button-ghost" to="/login">
          {t("nav.login")}
        </Link>
        {isRoot ? null : (
          <Link className="button button-primary" to="/signup">
            {t("nav.signup")}
          </Link>
        )}
      </div>
    );
  }
  const signOut = async () => {
    await logout({});
    setMe(null);
    navigate("/");
  };
  return (
    <details className="account-menu">
      <summary aria-label={t("nav.account")}>
        <span className="avatar" aria-hidden="true">
          {(me.fullName || me.email).slice(0, 1).toUpperCase()}
        </span>
        <span className="account-email">{me.email}</span>
      </summary>
      <ul className="menu">
        <li className="menu-note muted">{t(`role.${me.role}`)}</li>
        {accountRoutes.map((route) => (
          <li key={route.path}>
            <Link to={route.path}>{t(route.nav?.label ?? route.title)}</Link>
          </li>
        ))}
        <li>
          <button type="button" className="menu-button" onClick={signOut}>
            {t("nav.logout")}
          </button>
        </li>
      </ul>
    </details>
  );
}

export function Layout() {
  const { brand, isRoot } = useSession();
  const { t } = useI18n();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const publicRoutes = useNav("public");
  const appRoutes = useNav("app");
  const name = isRoot ? t("console.platform") : brand?.name ?? "";

  useEffect(() => {
    if (!isRoot) recordPageView(location.pathname);
  }, [isRoot, location.pathname]);

  useEffect(() => {
    setMenuOpen(false);
    document.querySelectorAll<HTMLDetailsElement>("details.account-menu[open]").forEach((menu) => {
      menu.open = false;
    });
  }, [location.pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("common.skip")}
      </a>
      <header className="site-header">
        <div className="container header-row">
          <Link to="/" className="brand-mark" aria-label={name}>
            <span className="brand-logo" aria-hidden="true">
              {name.slice(0, 1)}
            </span>
            <span className="brand-name">{name}</span>
          </Link>
          {publicRoutes.length ? (
            <button
              type="button"
              className="icon-button menu-toggle"
              aria-expanded={menuOpen}
              aria-controls="site-nav"
              onClick={() => setMenuOpen((open) => !open)}
            >
              <span aria-hidden="true">☰</span>
              <span className="visually-hidden">{t("nav.menu")}</span>
            </button>
          ) : null}
          <nav id="site-nav" className={`site-nav${menuOpen ? " open" : ""}`} aria-label={t("nav.main")}>
            <ul>
              <NavItems routes={publicRoutes} onNavigate={() => setMenuOpen(false)} />
              <li className="nav-extra">
                <ModeToggle />
              </li>
            </ul>
          </nav>
          <div className="header-tools">
            <LanguageSwitch />
            <ModeToggle />
            <NotificationBell />
            <AccountMenu />
          </div>
        </div>
        {appRoutes.length ? (
          <nav className="app-nav" aria-label={t("nav.workspace")}>
            <div className="container">
              <ul>
                <NavItems routes={appRoutes} />
              </ul>
            </div>
          </nav>
        ) : null}
      </header>
      <ConsentBanner />
      <main id="main" className="container main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      <footer className="site-footer">
        <div className="container footer-row">
          <p className="muted">
            © {new Date().getFullYear()} {name}
          </p>
          {isRoot ? null : (
            <ul className="footer-links">
              <li>
                <Link to="/program">{t("nav.program")}</Link>
              </li>
              <li>
                <Link to="/faq">{t("nav.faq")}</Link>
              </li>
              <li>
                <Link to="/contact">{t("nav.contact")}</Link>
              </li>
              <li>
                <Link to="/terms">{t("nav.terms")}</Link>
              </li>
              <li>
                <Link to="/privacy">{t("nav.privacyPolicy")}</Link>
              </li>
              <li>
                <a href="/graphql/">{t("nav.api")}</a>
              </li>
            </ul>
          )}
        </div>
      </footer>
    </div>
  );
}
