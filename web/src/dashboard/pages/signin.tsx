import { useState } from "preact/hooks";
import { ApiError, type Session, type SessionKind, signIn } from "../api";

export function SignIn(props: { onSignedIn: (s: Session) => void }) {
  const [kind, setKind] = useState<SessionKind>("customer");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem("secret") as HTMLInputElement;
    const secret = input.value.trim();
    if (!secret) {
      setError(kind === "customer" ? "Paste your API key." : "Paste the admin token.");
      input.focus();
      return;
    }
    setBusy(true);
    setError("");
    try {
      const session = await signIn(kind, secret);
      input.value = ""; // the secret leaves the page once exchanged
      props.onSignedIn(session);
    } catch (err) {
      const api = err instanceof ApiError ? err : new ApiError(0, String(err));
      if (api.status === 401) {
        setError(kind === "customer" ? "That API key is not valid (unknown, revoked or expired)." : "That admin token is not valid.");
      } else if (api.status === 429) {
        setError(`Too many sign-in attempts from this address. Try again in ${api.retryAfter ?? 60} s.`);
      } else {
        setError(api.message);
      }
      input.focus();
    } finally {
      setBusy(false);
    }
  };

  const tab = (k: SessionKind, label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${k}`}
      aria-selected={kind === k}
      aria-controls="signin-panel"
      onClick={() => {
        setKind(k);
        setError("");
      }}
    >
      {label}
    </button>
  );

  return (
    <div class="signin card">
      <h1>Sign in</h1>
      <div class="tabs" role="tablist" aria-label="Who is signing in">
        {tab("customer", "Customer")}
        {tab("operator", "Operator")}
      </div>
      <div id="signin-panel" role="tabpanel" aria-labelledby={`tab-${kind}`}>
      <form onSubmit={submit} noValidate>
        <label>
          {kind === "customer" ? "API key" : "Admin token"}
          <input
            name="secret"
            type="password"
            autocomplete="off"
            spellcheck={false}
            placeholder={kind === "customer" ? "sk_live_…" : ""}
            aria-describedby="secret-hint"
            aria-invalid={error ? true : undefined}
          />
          <span id="secret-hint" class="hint">
            {kind === "customer"
              ? "Your key is exchanged for a session; the page does not keep it."
              : "The token the server was started with (serve --admin-token)."}
          </span>
        </label>
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      </div>
    </div>
  );
}
