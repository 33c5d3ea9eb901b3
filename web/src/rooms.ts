// Multi-user chat (XEP-0045) for one room at a time: the room list of the MUC service, entering
// and leaving, occupants, history and messages, and creating persistent public rooms.
import { xml, type Element } from "@xmpp/client";
import type { Session } from "./session";

const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_MUC = "http://jabber.org/protocol/muc";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner";
const NS_DATA = "jabber:x:data";
const NS_DELAY = "urn:xmpp:delay";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const HISTORY_MESSAGES = 50;
const JOIN_TIMEOUT_MS = 15000;

export interface RoomInfo {
  jid: string;
  name: string;
}

export type Show = "available" | "chat" | "away" | "xa" | "dnd";

export interface Occupant {
  nick: string;
  show: Show;
  role: string;
  self: boolean;
}

export interface ChatLine {
  kind: "message" | "subject" | "notice";
  nick: string;
  body: string;
  time: Date;
  /** Delivered from the room's history (XEP-0203 delay). */
  history: boolean;
  self: boolean;
}

export interface RoomEvents {
  /** The view belongs to `room` now and is empty. */
  entering(room: string): void;
  entered(room: string): void;
  occupants(room: string, occupants: Occupant[]): void;
  line(room: string, line: ChatLine): void;
  /** Whether this user is in the current room now, and so may send to it. */
  joined(room: string | null, joined: boolean): void;
}

export function bareJid(address: string): string {
  const slash = address.indexOf("/");
  return slash < 0 ? address : address.slice(0, slash);
}

function resourceOf(address: string): string {
  const slash = address.indexOf("/");
  return slash < 0 ? "" : address.slice(slash + 1);
}

/** A room's local part from the name a person typed: "Book club" -> "book-club". */
export function roomLocalPart(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/["&'/:<>@\\]/g, "");
}

function errorCondition(stanza: Element): string {
  const error = stanza.getChild("error");
  const condition = error?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS);
  return condition?.name ?? "error";
}

interface PendingJoin {
  room: string;
  resolve(): void;
  reject(err: Error): void;
}

export class Rooms {
  /** The room whose conversation is on screen (bare JID), or null. */
  current: string | null = null;
  private nick = "";
  private joinedNick = "";
  private requestedNick = "";
  private occupants = new Map<string, Occupant>();
  private pending: PendingJoin | null = null;
  private created = false;

  constructor(
    private readonly session: Session,
    private readonly service: string,
    private readonly events: RoomEvents,
  ) {}

  /** The public rooms of the MUC service (disco#items), in the server's order. */
  async list(): Promise<RoomInfo[]> {
    const query = await this.session.iq("get", this.service, xml("query", { xmlns: NS_DISCO_ITEMS }));
    return (query?.getChildren("item") ?? [])
      .filter((item) => item.attrs.jid)
      .map((item) => {
        const jid = bareJid(item.attrs.jid as string);
        return { jid, name: item.attrs.name || jid.split("@")[0] };
      });
  }

  /** Leaves the current room, empties the view and joins `room` with `nick`. */
  async enter(room: string, nick: string): Promise<void> {
    this.leave();
    this.current = room;
    this.nick = nick;
    this.events.entering(room);
    await this.join(room, nick);
  }

  /** Joins the current room again (after a reconnection), with a fresh view and history. */
  async rejoin(): Promise<void> {
    if (!this.current) return;
    const room = this.current;
    this.setJoinedNick("");
    this.occupants.clear();
    this.events.entering(room);
    this.events.occupants(room, []);
    await this.join(room, this.nick);
  }

  /** Creates (or, if it exists, enters) the room called `name`: persistent and public. */
  async create(name: string, nick: string): Promise<string> {
    const local = roomLocalPart(name);
    if (!local) throw new Error("Enter a room name.");
    const room = `${local}@${this.service}`;
    await this.enter(room, nick);
    if (this.created && this.current === room) await this.configure(room, name.trim());
    return room;
  }

  /** Sends `body` to the current room; false (nothing sent) while not in a room. */
  send(body: string): boolean {
    if (!this.current || !this.joinedNick) return false;
    this.session.send(xml("message", { to: this.current, type: "groupchat" }, xml("body", {}, body)));
    return true;
  }

  /** The connection dropped: the server no longer counts this user in the room (until rejoin()). */
  disconnected(): void {
    this.pending?.reject(new Error("disconnected"));
    this.pending = null;
    this.setJoinedNick("");
    this.occupants.clear();
    if (this.current) this.events.occupants(this.current, []);
  }

  leave(): void {
    if (this.current && this.joinedNick) {
      this.session.send(xml("presence", { to: `${this.current}/${this.joinedNick}`, type: "unavailable" }));
    }
    this.pending?.reject(new Error("left"));
    this.pending = null;
    this.current = null;
    this.setJoinedNick("");
    this.occupants.clear();
  }

  /** Handles a stanza from the current room; stanzas of other rooms are dropped. */
  handle(stanza: Element): boolean {
    const from = stanza.attrs.from ?? "";
    const room = bareJid(from);
    if (!this.current || room !== this.current) return false;
    if (stanza.name === "presence") this.onPresence(stanza, room, resourceOf(from));
    else if (stanza.name === "message") this.onMessage(stanza, room, resourceOf(from));
    return true;
  }

  private join(room: string, nick: string, attempt = 0): Promise<void> {
    this.created = false;
    this.requestedNick = nick;
    const done = new Promise<void>((resolve, reject) => {
      this.pending = { room, resolve, reject };
    });
    this.session.send(
      xml("presence", { to: `${room}/${nick}` },
        xml("x", { xmlns: NS_MUC }, xml("history", { maxstanzas: String(HISTORY_MESSAGES) }))),
    );
    let timer = 0;
    const timeout = new Promise<never>((_, reject) => {
      timer = window.setTimeout(() => reject(new Error("The room did not answer.")), JOIN_TIMEOUT_MS);
    });
    return Promise.race([done, timeout])
      .catch((err: Error & { condition?: string }) => {
        // Someone (perhaps this user in another tab) has the nickname: take a variant.
        if (err.condition === "conflict" && attempt < 3 && this.current === room) {
          const variant = `${this.nick}-${Math.floor(Math.random() * 900 + 100)}`;
          return this.join(room, variant, attempt + 1);
        }
        throw err;
      })
      .finally(() => window.clearTimeout(timer));
  }

  private async configure(room: string, name: string): Promise<void> {
    const field = (name: string, value: string) => xml("field", { var: name }, xml("value", {}, value));
    await this.session.iq("set", room,
      xml("query", { xmlns: NS_MUC_OWNER },
        xml("x", { xmlns: NS_DATA, type: "submit" },
          field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"),
          field("muc#roomconfig_roomname", name),
          field("muc#roomconfig_persistentroom", "1"),
          field("muc#roomconfig_publicroom", "1"))));
  }

  private onPresence(stanza: Element, room: string, nick: string): void {
    const type = stanza.attrs.type;
    if (type === "error") {
      const pending = this.pending;
      if (pending && pending.room === room) {
        this.pending = null;
        const condition = errorCondition(stanza);
        const text = stanza.getChild("error")?.getChildText("text", NS_STANZAS);
        pending.reject(Object.assign(new Error(text || `Could not enter the room (${condition}).`), { condition }));
      }
      return;
    }
    const x = stanza.getChild("x", NS_MUC_USER);
    const codes = new Set((x?.getChildren("status") ?? []).map((s) => s.attrs.code));
    // Status 110 marks our own presence; servers without it still use the nick we asked for.
    const self = codes.has("110") || nick === this.requestedNick;
    if (type === "unavailable") {
      this.occupants.delete(nick);
      if (self && this.joinedNick === nick) {
        this.setJoinedNick("");
        this.notice(room, "You are no longer in this room.");
      }
    } else {
      const show = (stanza.getChildText("show") || "available") as Show;
      const role = x?.getChild("item")?.attrs.role ?? "participant";
      this.occupants.set(nick, { nick, show, role, self });
      if (self) {
        this.setJoinedNick(nick);
        if (codes.has("201")) this.created = true;
        const pending = this.pending;
        if (pending && pending.room === room) {
          this.pending = null;
          pending.resolve();
          this.events.entered(room);
        }
      }
    }
    const list = [...this.occupants.values()].sort((a, b) => a.nick.localeCompare(b.nick));
    this.events.occupants(room, list);
  }

  private onMessage(stanza: Element, room: string, nick: string): void {
    const type = stanza.attrs.type;
    if (type === "error") {
      this.notice(room, `Not delivered (${errorCondition(stanza)}).`);
      return;
    }
    if (type !== "groupchat") return;
    const delay = stanza.getChild("delay", NS_DELAY);
    const stamp = delay?.attrs.stamp ? new Date(delay.attrs.stamp) : null;
    const time = stamp && !Number.isNaN(stamp.getTime()) ? stamp : new Date();
    const body = stanza.getChildText("body");
    const subject = stanza.getChildText("subject");
    if (body !== null) {
      this.events.line(room, { kind: "message", nick, body, time, history: delay !== undefined,
        self: nick !== "" && nick === this.joinedNick });
    } else if (subject !== null && subject !== "") {
      this.events.line(room, { kind: "subject", nick, body: subject, time, history: false, self: false });
    }
  }

  private setJoinedNick(nick: string): void {
    const was = this.joinedNick !== "";
    this.joinedNick = nick;
    if (was !== (nick !== "")) this.events.joined(this.current, nick !== "");
  }

  private notice(room: string, body: string): void {
    this.events.line(room, { kind: "notice", nick: "", body, time: new Date(), history: false, self: false });
  }
}
