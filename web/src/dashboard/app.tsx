// The dashboard: who is signed in decides the pages. Customers: overview, charts, sound
// pages. Operators: keys (and a key's ledger), ingest, health.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, currentSession, type Session, setSignedOutHandler, signOut } from "./api";
import { ErrorNotice, Link, Loading } from "./components";
import { type Features, loadFeatures, NO_FEATURES } from "./features";
import { AdminKey } from "./pages/admin_key";
import { AdminKeys } from "./pages/admin_keys";
import { AdminHealth, AdminIngest } from "./pages/admin_ops";
import { Charts } from "./pages/charts";
import { Overview } from "./pages/overview";
import { SignIn } from "./pages/signin";
import { SoundPage } from "./pages/sound";
import { match, navigate, useLocation } from "./router";

function homeOf(session: Session): string {
  return session.kind === "operator" ? "/admin/keys" : "/overview";
}

const TITLES: Record<string, string> = {
  "/": "Sign in",
  "/overview": "Overview",
  "/charts": "Charts",
  "/admin/keys": "Keys",
  "/admin/ingest": "Ingest",
  "/admin/health": "Service health",
};

function Header(props: { session: Session | null; path: string; onSignOut: () => void }) {
  const { session, path } = props;
  const items: [string, string][] =
    session === null
      ? []
      : session.kind === "customer"
        ? [
            ["/overview", "Overview"],
            ["/charts", "Charts"],
          ]
        : [
            ["/admin/keys", "Keys"],
            ["/admin/ingest", "Ingest"],
            ["/admin/health", "Health"],
          ];
  return (
    <header class="app-header">
      <div class="app-header-inner">
        <Link to={session ? homeOf(session) : "/"} class="brand">
          soundtrend <span>dashboard</span>
        </Link>
        {items.length > 0 && (
          <nav class="main-nav" aria-label="Main">
            <ul>
              {items.map(([to, label]) => (
                <li>
                  <Link to={to} current={path === to || path.startsWith(`${to}/`)}>
                    {label}
                  </Link>
                </li>
              ))}
              <li>
                <a href="/docs">API reference</a>
              </li>
            </ul>
          </nav>
        )}
        {session && (
          <div class="who">
            <span>
              {session.kind === "operator" ? "Operator" : `${session.name ?? "Key"} · `}
              {session.kind === "customer" && <code>{session.key_id}</code>}
            </span>
            <button type="button" class="secondary" onClick={props.onSignOut}>
              Sign out
            </button>
          </div>
        )}
      </div>
    </header>
  );
}

export function App() {
  const location = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  // The surging chart and the sound pages, when this server has them (its public
  // /openapi.json, fetched alongside the session). The chart and sound pages wait for it,
  // so that a paid request is made once, with the right parameters.
  const [features, setFeatures] = useState<Features | null>(null);
  useEffect(() => {
    loadFeatures().then(setFeatures, () => setFeatures(NO_FEATURES));
  }, []);

  useEffect(() => {
    setSignedOutHandler(() => {
      setSession(null);
      navigate("/", true);
    });
    currentSession().then(setSession, (e) => setError(e instanceof ApiError ? e : new ApiError(0, String(e))));
  }, []);

  const path = location.path;
  useEffect(() => {
    if (session === undefined) return;
    if (session === null && path !== "/") navigate("/", true);
    if (session && path === "/") navigate(homeOf(session), true);
    if (session && session.kind === "customer" && path.startsWith("/admin")) navigate("/overview", true);
    if (session && session.kind === "operator" && !path.startsWith("/admin")) navigate("/admin/keys", true);
  }, [session, path]);

  const firstPath = useRef(true);
  useEffect(() => {
    const title = TITLES[path] ?? (path.startsWith("/admin/keys/") ? "Key" : path.startsWith("/sounds/") ? "Sound" : "Page");
    document.title = `${title} · soundtrend dashboard`;
    // After a navigation (not on load), focus moves to the new page's content.
    if (firstPath.current) firstPath.current = false;
    else document.getElementById("main")?.focus({ preventScroll: true });
  }, [path]);

  const doSignOut = async () => {
    try {
      await signOut();
    } finally {
      setSession(null);
      navigate("/", true);
    }
  };

  let page;
  if (error) {
    page = <ErrorNotice error={error} what="the dashboard" retry={() => location && window.location.reload()} />;
  } else if (session === undefined) {
    page = <Loading what="the dashboard" />;
  } else if (session === null) {
    page = <SignIn onSignedIn={(s) => {
      setSession(s);
      navigate(homeOf(s), true);
    }} />;
  } else if (session.kind === "customer") {
    const sound = match("/sounds/:id", path);
    if (path === "/overview") page = <Overview />;
    else if ((path === "/charts" || sound) && features === null) page = <Loading what="the page" />;
    else if (path === "/charts") page = <Charts params={location.query} surging={features!.surging} soundPages={features!.soundPages} />;
    else if (sound && features!.soundPages) page = <SoundPage clipId={sound.id} params={location.query} />;
    else page = <NotFound home={homeOf(session)} />;
  } else {
    const key = match("/admin/keys/:id", path);
    if (path === "/admin/keys") page = <AdminKeys />;
    else if (path === "/admin/ingest") page = <AdminIngest />;
    else if (path === "/admin/health") page = <AdminHealth />;
    else if (key) page = <AdminKey keyId={key.id} />;
    else page = <NotFound home={homeOf(session)} />;
  }

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header session={session ?? null} path={path} onSignOut={doSignOut} />
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

function NotFound(props: { home: string }) {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to={props.home}>Back to the dashboard</Link>
      </p>
    </>
  );
}
