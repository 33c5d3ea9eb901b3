// The parts of @xmpp/client 0.13 (no bundled types) that the client uses.
declare module "@xmpp/client" {
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
  }

  type Child = Element | string | null | undefined | false;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Child[]): Element;
  export function jid(address: string): JID;

  export type Status =
    | "offline" | "connecting" | "connect" | "opening" | "open" | "online"
    | "closing" | "close" | "disconnecting" | "disconnect";

  export type Authenticate = (creds: { username: string; password: string }) => Promise<void>;

  export interface Options {
    service: string;
    domain: string;
    resource?: string;
    username?: string;
    password?: string;
    credentials?: (authenticate: Authenticate, mechanism: string) => Promise<void>;
  }

  export interface IQCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    get(child: Element, to?: string, timeout?: number): Promise<Element | undefined>;
    set(child: Element, to?: string, timeout?: number): Promise<Element | undefined>;
  }

  export interface Reconnect {
    delay: number;
    start(): void;
    stop(): void;
    on(event: "reconnecting" | "reconnected", listener: () => void): void;
  }

  export interface Client {
    status: Status;
    jid: JID | null;
    iqCaller: IQCaller;
    reconnect: Reconnect;
    mechanisms: Array<Record<string, unknown>>;
    start(): Promise<JID>;
    stop(): Promise<void>;
    send(element: Element): Promise<void>;
    on(event: "stanza" | "nonza" | "element" | "send", listener: (el: Element) => void): void;
    on(event: "online", listener: (address: JID) => void): void;
    on(event: "status", listener: (status: Status) => void): void;
    on(event: "error", listener: (err: Error & { condition?: string }) => void): void;
    on(event: string, listener: (...args: never[]) => void): void;
    removeListener(event: string, listener: (...args: never[]) => void): void;
  }

  export function client(options: Options): Client;
}
