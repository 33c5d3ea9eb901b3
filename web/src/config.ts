// Where the XMPP service is: /parley-client.json from parleyd, with defaults for other servers.

export interface ClientConfig {
  /** The default XMPP domain (a login name without "@" is on this domain). */
  domain: string;
  /** The MUC service of that domain. */
  muc: string;
  /** Absolute ws:// or wss:// URL of the RFC 7395 endpoint. */
  websocket: string;
  /** Whether the domain allows in-band registration. */
  registration: boolean;
}

interface ServedConfig {
  domain?: unknown;
  muc?: unknown;
  websocket?: unknown;
  registration?: unknown;
}

/** ws(s):// URL for a path or URL relative to this page. */
export function websocketUrl(pathOrUrl: string, page: Location = window.location): string {
  const url = new URL(pathOrUrl, page.href);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  return url.toString();
}

/** The domain to assume when the server does not say: the page's host name, loopback = localhost. */
export function fallbackDomain(hostname: string): string {
  if (hostname === "" || hostname === "127.0.0.1" || hostname === "[::1]" || hostname === "::1") {
    return "localhost";
  }
  return hostname;
}

export function mucServiceFor(domain: string): string {
  return `conference.${domain}`;
}

export async function loadConfig(timeoutMs = 5000): Promise<ClientConfig> {
  const domain = fallbackDomain(window.location.hostname);
  const config: ClientConfig = {
    domain,
    muc: mucServiceFor(domain),
    websocket: websocketUrl("xmpp-websocket"),
    registration: true, // unknown: offer it, and let the server say no
  };
  const abort = new AbortController();
  const timer = window.setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch("parley-client.json", { signal: abort.signal, cache: "no-store" });
    if (!response.ok) return config;
    const served = (await response.json()) as ServedConfig;
    if (typeof served.domain === "string" && served.domain) {
      config.domain = served.domain;
      config.muc = mucServiceFor(served.domain);
    }
    if (typeof served.muc === "string" && served.muc) config.muc = served.muc;
    if (typeof served.websocket === "string" && served.websocket) {
      config.websocket = websocketUrl(served.websocket);
    }
    if (typeof served.registration === "boolean") config.registration = served.registration;
  } catch {
    // Not served by parleyd (or not reachable yet): keep the defaults.
  } finally {
    window.clearTimeout(timer);
  }
  return config;
}
