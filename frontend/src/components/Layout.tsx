/** The frame of every page: header (brand, menus, language, colour mode, account), content, footer. */
import { Suspense, useEffect } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useMutation } from "urql";

import { recordPageView } from "../api/pageviews";
import { canOpen, routesFor, type AppRoute, type NavGroup, type NavSection } from "../app/routes";
import { useSession } from "../app/session";
import { graphql } from "../gql";
import { LANGUAGES, useI18n, type Language } from "../i18n";
import { NotificationBell } from "../pages/notifications/Bell";
import { ConsentBanner } from "../pages/privacy/ConsentBanner";
import { useDisclosure } from "./disclosure";
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
  const { me, setMe } = useSession();
  const { t } = useI18n();
  const navigate = useNavigate();
  const [, logout] = useMutation(LogoutMutation);
  const accountRoutes = useNav("account");
  const menu = useDisclosure();
  const location = useLocation();
  const { setOpen } = menu;
  useEffect(() => setOpen(false), [location.pathname, setOpen]);
  if (!me) return <SignInLinks className="account-actions" />;
  const signOut = async () => {
    await logout({});
    setMe(null);
    navigate("/");
  };
  // The button's name is its visible text (the e-mail) after "Account", so speech input
  // ("click demo@…") and screen readers agree with what is on screen (WCAG 2.5.3).
  return (
    <div className="account-menu" ref={menu.containerRef}>
      <button type="button" className="account-button" ref={menu.buttonRef} {...menu.buttonProps}>
        <span className="avatar" aria-hidden="true">
          {(me.fullName || me.email).slice(0, 1).toUpperCase()}
        </span>
        <span className="visually-hidden">{t("nav.account")} </span>
        <span className="account-email">{me.email}</span>
      </button>
      <ul className="menu" id={menu.panelId} hidden={!menu.open}>
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
    </div>
  );
}

/** "Log in" and "Sign up" for visitors: in the header, and in the ☰ menu on phones. */
function SignInLinks({ className }: { className: string }) {
  const { isRoot } = useSession();
  const { t } = useI18n();
  return (
    <div className={className}>
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

/** A brand admin's workspace menu has some twenty entries: past this many, they are grouped. */
const GROUP_FROM = 10;
const GROUP_ORDER: NavGroup[] = ["money", "people", "program", "settings", "developers"];

function NavGroupMenu({ group, routes }: { group: NavGroup; routes: AppRoute[] }) {
  const { t } = useI18n();
  const location = useLocation();
  const menu = useDisclosure<HTMLLIElement>();
  const { setOpen } = menu;
  useEffect(() => setOpen(false), [location.pathname, setOpen]);
  const current = routes.some((route) => route.path === location.pathname);
  return (
    <li className="nav-group" ref={menu.containerRef}>
      <button type="button" className={`nav-group-button${current ? " active" : ""}`} ref={menu.buttonRef} {...menu.buttonProps}>
        {t(`nav.group.${group}`)}
        {current ? <span className="visually-hidden"> {t("nav.currentSection")}</span> : null}
        <span className="nav-group-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      <ul className="nav-group-panel" id={menu.panelId} hidden={!menu.open}>
        <NavItems routes={routes} onNavigate={() => setOpen(false)} />
      </ul>
    </li>
  );
}

/** The workspace menu: flat when short, else top-level entries then one disclosure per group. */
function WorkspaceItems({ routes, onNavigate }: { routes: AppRoute[]; onNavigate?: () => void }) {
  if (routes.length < GROUP_FROM) return <NavItems routes={routes} onNavigate={onNavigate} />;
  const loose = routes.filter((route) => !route.nav?.group);
  return (
    <>
      <NavItems routes={loose} onNavigate={onNavigate} />
      {GROUP_ORDER.map((group) => {
        const members = routes.filter((route) => route.nav?.group === group);
        return members.length ? <NavGroupMenu key={group} group={group} routes={members} /> : null;
      })}
    </>
  );
}

export function Layout() {
  const { brand, isRoot, me } = useSession();
  const { t } = useI18n();
  const location = useLocation();
  const menu = useDisclosure();
  const { setOpen: setMenuOpen } = menu;
  const publicRoutes = useNav("public");
  const appRoutes = useNav("app");
  const name = isRoot ? t("console.platform") : brand?.name ?? "";

  useEffect(() => {
    if (!isRoot) recordPageView(location.pathname);
  }, [isRoot, location.pathname]);

  useEffect(() => {
    setMenuOpen(false);
  }, [location.pathname, setMenuOpen]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("common.skip")}
      </a>
      <header className="site-header">
        <div className="container header-row">
          <Link to="/" className="brand-mark">
            <span className="brand-logo" aria-hidden="true">
              {name.slice(0, 1)}
            </span>
            <span className="brand-name">{name}</span>
          </Link>
          <div className="site-menu" ref={menu.containerRef}>
            {publicRoutes.length ? (
              <button type="button" className="icon-button menu-toggle" ref={menu.buttonRef} {...menu.buttonProps}>
                <span aria-hidden="true">☰</span>
                <span className="visually-hidden">{t("nav.menu")}</span>
              </button>
            ) : null}
            <nav id={menu.panelId} className={`site-nav${menu.open ? " open" : ""}`} aria-label={t("nav.main")}>
              <ul>
                <NavItems routes={publicRoutes} onNavigate={() => setMenuOpen(false)} />
                {appRoutes.length ? (
                  <li className="nav-workspace">
                    <p className="nav-heading">{t("nav.workspace")}</p>
                    <ul>
                      <WorkspaceItems routes={appRoutes} onNavigate={() => setMenuOpen(false)} />
                    </ul>
                  </li>
                ) : null}
                {me ? null : (
                  <li className="nav-extra">
                    <SignInLinks className="nav-sign-in" />
                  </li>
                )}
                <li className="nav-extra">
                  <ModeToggle />
                </li>
              </ul>
            </nav>
          </div>
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
                <WorkspaceItems routes={appRoutes} />
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
