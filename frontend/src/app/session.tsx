/**
 * What every page knows: the brand of this host (null on the operator's root domain), the
 * signed-in user, and the colour mode. The brand starts from the data Django inlined in the
 * page (or the Boot query under Vite's dev server) and follows `brandUpdated` live, so a theme
 * change by the brand admin re-themes every open page without a reload.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useSubscription } from "urql";

import { graphql } from "../gql";
import type { BootQuery, BrandFieldsFragment, MeFieldsFragment, Role } from "../gql/graphql";
import { BootDocument } from "../gql/graphql";
import { applyTheme, storeMode, storedMode, type ColorMode } from "../theme/runtime";

export const BrandUpdatedSubscription = graphql(`
  subscription BrandUpdated {
    brandUpdated {
      ...BrandFields
    }
  }
`);

export interface Session {
  brand: BrandFieldsFragment | null;
  /** The root domain: the operator console, no brand. */
  isRoot: boolean;
  me: MeFieldsFragment | null;
  hasRole: (...roles: Role[]) => boolean;
  /** After a sign-in or sign-out: the new user (or null); the live connection is renewed. */
  setMe: (user: MeFieldsFragment | null) => void;
  setBrand: (brand: BrandFieldsFragment) => void;
  mode: ColorMode;
  setMode: (mode: ColorMode) => void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside <SessionProvider>");
  return value;
}

/** Reads the JSON Django inlined in index.html (absent under Vite's dev server). */
export function readBootData(doc: Document = document): BootQuery | null {
  const element = doc.getElementById("boot-data");
  if (!element?.textContent) return null;
  try {
    const parsed = JSON.parse(element.textContent) as { data?: BootQuery };
    return parsed.data ?? null;
  } catch {
    return null;
  }
}

/** Is this the operator's root domain? Django says so in <html data-host>; else no brand. */
function rootHost(boot: BootQuery | null): boolean {
  const marked = document.documentElement.dataset.host;
  if (marked) return marked === "root";
  return boot ? boot.brand === null : false;
}

interface ProviderProps {
  boot: BootQuery | null;
  /** Called when the user changes: the client (and its websocket) must be renewed. */
  onUserChange: () => void;
  children: (session: Session) => ReactNode;
  splash: ReactNode;
}

export function SessionProvider({ boot, onUserChange, children, splash }: ProviderProps) {
  const [loaded, setLoaded] = useState<BootQuery | null>(boot);
  const [mode, setModeState] = useState<ColorMode>(storedMode);
  const [{ data }] = useQuery({ query: BootDocument, pause: boot !== null });
  useEffect(() => {
    if (data && !loaded) setLoaded(data);
  }, [data, loaded]);

  const isRoot = rootHost(loaded);
  const brand = loaded?.brand ?? null;
  const me = loaded?.me ?? null;

  const [{ data: live }] = useSubscription({ query: BrandUpdatedSubscription, pause: !loaded || isRoot });
  useEffect(() => {
    if (live?.brandUpdated) setLoaded((current) => (current ? { ...current, brand: live.brandUpdated } : current));
  }, [live]);

  useEffect(() => {
    if (brand) applyTheme(brand.theme, mode);
  }, [brand, mode]);

  const setMe = useCallback(
    (user: MeFieldsFragment | null) => {
      setLoaded((current) => ({ brand: current?.brand ?? null, me: user }));
      onUserChange();
    },
    [onUserChange],
  );
  const setBrand = useCallback(
    (next: BrandFieldsFragment) => setLoaded((current) => ({ me: current?.me ?? null, brand: next })),
    [],
  );
  const setMode = useCallback((next: ColorMode) => {
    storeMode(next);
    setModeState(next);
  }, []);

  const session = useMemo<Session>(
    () => ({
      brand,
      isRoot,
      me,
      hasRole: (...roles) => me !== null && roles.includes(me.role),
      setMe,
      setBrand,
      mode,
      setMode,
    }),
    [brand, isRoot, me, setMe, setBrand, mode, setMode],
  );
  if (!loaded) return <>{splash}</>;
  return <SessionContext.Provider value={session}>{children(session)}</SessionContext.Provider>;
}
