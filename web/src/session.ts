// One XMPP session over WebSocket: login (optionally after in-band registration), connection
// state, automatic reconnection, and plumbing for stanzas and IQs.
import { client, xml, type Client, type Element, type JID, type Status } from "@xmpp/client";

const NS_REGISTER = "jabber:iq:register";
const LOGIN_TIMEOUT_MS = 20000;

export type ConnectionState = "offline" | "connecting" | "online" | "reconnecting";

export interface LoginRequest {
  websocket: string;
  /** "alice" (on `defaultDomain`) or "alice@example.org". */
  login: string;
  password: string;
  defaultDomain: string;
  /** Create the account by in-band registration (XEP-0077) before authenticating. */
  register: boolean;
}

export interface SessionEvents {
  state(state: ConnectionState): void;
  /** Online: after the first login and after each automatic reconnection. */
  online(address: JID, resumed: boolean): void;
  stanza(stanza: Element): void;
}

/** Splits "alice" / "alice@example.org" into local part and domain. */
export function parseLogin(login: string, defaultDomain: string): { username: string; domain: string } {
  const at = login.lastIndexOf("@");
  if (at < 0) return { username: login.trim(), domain: defaultDomain };
  return { username: login.slice(0, at).trim(), domain: login.slice(at + 1).trim() || defaultDomain };
}

/** Human-readable text for the errors @xmpp/client raises while logging in. */
export function describeError(err: unknown, registering: boolean): string {
  const e = err as { condition?: string; message?: string; text?: string };
  switch (e.condition) {
    case "conflict":
      return "That user name is taken.";
    case "not-authorized":
      return "Wrong user name or password.";
    case "not-allowed":
    case "forbidden":
      return registering ? "This server does not allow registration." : "Not allowed.";
    case "not-acceptable":
    case "bad-request":
      return registering ? "The server refused this user name or password." : "Bad request.";
    case "resource-constraint":
    case "policy-violation":
      return "The server refused: too many attempts, try again later.";
    default:
      break;
  }
  if (e.text) return e.text;
  return e.message || String(err);
}

export class Session {
  private xmppDomain = "";
  private xmpp: Client | null = null;
  private everOnline = false;
  private state: ConnectionState = "offline";

  constructor(private readonly events: SessionEvents) {}

  /** The domain of the account logged in (or being logged in). */
  get domain(): string {
    return this.xmppDomain;
  }

  get address(): JID | null {
    return this.xmpp?.jid ?? null;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Logs in (registering first if asked); rejects with a readable message on failure. */
  async login(request: LoginRequest): Promise<JID> {
    const { username, domain } = parseLogin(request.login, request.defaultDomain);
    if (!username || !request.password) throw new Error("Enter a user name and a password.");
    let registerFirst = request.register;
    const xmpp = client({
      service: request.websocket,
      domain,
      resource: `web-${Math.random().toString(36).slice(2, 8)}`,
      // Called when the server offers SASL: in-band registration goes first on the same stream
      // (XEP-0077 before authentication), then the normal login with the same credentials.
      credentials: async (authenticate) => {
        if (registerFirst) {
          await xmpp.iqCaller.set(
            xml("query", { xmlns: NS_REGISTER },
              xml("username", {}, username),
              xml("password", {}, request.password)),
            domain,
          );
          registerFirst = false; // a reconnection only logs in
        }
        await authenticate({ username, password: request.password });
      },
    });
    this.xmpp = xmpp;
    this.xmppDomain = domain;
    xmpp.on("stanza", (stanza) => this.events.stanza(stanza));
    xmpp.on("status", (status) => this.onStatus(status));
    xmpp.on("online", (address) => {
      const resumed = this.everOnline;
      this.everOnline = true;
      this.setState("online");
      void xmpp.send(xml("presence"));
      this.events.online(address, resumed);
    });

    // start() resolves when online; a refused registration or login surfaces as an "error" event.
    let onError: ((err: Error) => void) | null = null;
    const failed = new Promise<never>((_, reject) => {
      onError = (err) => reject(err);
      xmpp.on("error", onError);
    });
    let timer = 0;
    const timedOut = new Promise<never>((_, reject) => {
      timer = window.setTimeout(() => reject(new Error("The server did not answer in time.")), LOGIN_TIMEOUT_MS);
    });
    this.setState("connecting");
    try {
      const address = await Promise.race([xmpp.start(), failed, timedOut]);
      return address;
    } catch (err) {
      await this.logout();
      throw new Error(describeError(err, request.register && registerFirst));
    } finally {
      window.clearTimeout(timer);
      if (onError) xmpp.removeListener("error", onError);
      // Later errors (a dropped connection) are handled by reconnecting; keep them off the console.
      xmpp.on("error", () => undefined);
    }
  }

  async logout(): Promise<void> {
    const xmpp = this.xmpp;
    this.xmpp = null;
    this.everOnline = false;
    this.setState("offline");
    if (!xmpp) return;
    xmpp.reconnect.stop();
    try {
      await Promise.race([xmpp.stop(), new Promise((resolve) => window.setTimeout(resolve, 3000))]);
    } catch {
      // already closed
    }
  }

  send(stanza: Element): void {
    if (this.xmpp && this.state === "online") void this.xmpp.send(stanza).catch(() => undefined);
  }

  async iq(type: "get" | "set", to: string, child: Element, timeoutMs = 15000): Promise<Element | undefined> {
    if (!this.xmpp) throw new Error("not connected");
    return type === "get"
      ? this.xmpp.iqCaller.get(child, to, timeoutMs)
      : this.xmpp.iqCaller.set(child, to, timeoutMs);
  }

  private onStatus(status: Status): void {
    if (!this.xmpp) return;
    if (status === "online") return; // reported by the "online" handler
    if (status === "offline") {
      this.setState("offline");
    } else if (status === "disconnect" || status === "connecting" || status === "opening") {
      // Before the first login this is the login itself; afterwards @xmpp/reconnect is at work.
      this.setState(this.everOnline ? "reconnecting" : "connecting");
    }
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.events.state(state);
  }
}
