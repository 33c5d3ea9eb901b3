// The page: finds its elements once and renders what the session and the rooms report.
import type { ConnectionState } from "./session";
import type { ChatLine, Occupant, RoomInfo } from "./rooms";

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

const STATE_TEXT: Record<ConnectionState, string> = {
  offline: "Offline",
  connecting: "Connecting…",
  online: "Connected",
  reconnecting: "Reconnecting…",
};

const SHOW_TEXT: Record<string, string> = {
  available: "online",
  chat: "free to chat",
  away: "away",
  xa: "away for long",
  dnd: "busy",
};

function formatTime(time: Date, now = new Date()): string {
  const hm = time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (time.toDateString() === now.toDateString()) return hm;
  return `${time.toLocaleDateString([], { month: "short", day: "numeric" })} ${hm}`;
}

export class View {
  readonly status = byId<HTMLSpanElement>("status");
  readonly whoami = byId<HTMLSpanElement>("whoami");
  readonly logoutButton = byId<HTMLButtonElement>("logout");
  readonly loginView = byId<HTMLElement>("login-view");
  readonly loginForm = byId<HTMLFormElement>("login-form");
  readonly loginUser = byId<HTMLInputElement>("login-user");
  readonly loginPassword = byId<HTMLInputElement>("login-password");
  readonly registerButton = byId<HTMLButtonElement>("register-button");
  readonly loginError = byId<HTMLParagraphElement>("login-error");
  readonly loginHint = byId<HTMLParagraphElement>("login-hint");
  readonly chatView = byId<HTMLElement>("chat-view");
  readonly roomSelect = byId<HTMLSelectElement>("room-select");
  readonly createRoomForm = byId<HTMLFormElement>("create-room-form");
  readonly createRoomName = byId<HTMLInputElement>("create-room-name");
  readonly roomError = byId<HTMLParagraphElement>("room-error");
  readonly messages = byId<HTMLOListElement>("messages");
  readonly occupantList = byId<HTMLUListElement>("occupants");
  readonly occupantCount = byId<HTMLSpanElement>("occupant-count");
  readonly composer = byId<HTMLFormElement>("composer");
  readonly messageInput = byId<HTMLInputElement>("message-input");

  private online = false;
  private inRoom = false;

  showState(state: ConnectionState): void {
    this.status.dataset.state = state;
    this.status.textContent = STATE_TEXT[state];
    this.online = state === "online";
    this.updateComposer();
  }

  /** Whether the user is an occupant of the room on screen (the composer sends only then). */
  setInRoom(inRoom: boolean): void {
    this.inRoom = inRoom;
    this.updateComposer();
  }

  private updateComposer(): void {
    const enabled = this.online && this.inRoom;
    this.messageInput.disabled = !enabled;
    this.composer.querySelector("button")!.disabled = !enabled;
  }

  showLogin(registration: boolean, domain: string): void {
    this.loginView.hidden = false;
    this.chatView.hidden = true;
    this.logoutButton.hidden = true;
    this.whoami.textContent = "";
    this.registerButton.hidden = !registration;
    // index.html ships the buttons disabled, so nothing submits the form before the app is ready.
    this.setLoginBusy(false);
    this.loginHint.textContent = `Accounts on ${domain}` + (registration ? "; new here? Choose a name and press Register." : ".");
    this.loginUser.focus();
  }

  setLoginBusy(busy: boolean): void {
    for (const button of this.loginForm.querySelectorAll("button")) button.disabled = busy;
  }

  showChat(address: string): void {
    this.loginView.hidden = true;
    this.chatView.hidden = false;
    this.logoutButton.hidden = false;
    this.whoami.textContent = address;
    this.loginError.textContent = "";
  }

  /** Fills the drop-down; keeps `selected` in it even if the list does not have it (yet). */
  showRooms(rooms: RoomInfo[], selected: string | null): void {
    const list = [...rooms];
    if (selected && !list.some((r) => r.jid === selected)) {
      list.push({ jid: selected, name: selected.split("@")[0] });
    }
    const same = list.length === this.roomSelect.options.length &&
      list.every((r, i) => this.roomSelect.options[i].value === r.jid && this.roomSelect.options[i].text === r.name);
    if (!same) {
      this.roomSelect.replaceChildren(...list.map((r) => new Option(r.name, r.jid)));
    }
    this.roomSelect.value = selected ?? "";
    this.roomSelect.disabled = list.length === 0;
  }

  clearRoom(): void {
    this.messages.replaceChildren();
    this.occupantList.replaceChildren();
    this.occupantCount.textContent = "";
    this.roomError.textContent = "";
  }

  showOccupants(occupants: Occupant[]): void {
    this.occupantList.replaceChildren(...occupants.map((o) => {
      const li = document.createElement("li");
      li.className = "occupant";
      li.dataset.show = o.show;
      li.dataset.nick = o.nick;
      if (o.self) li.classList.add("self");
      const dot = document.createElement("span");
      dot.className = "presence";
      dot.title = SHOW_TEXT[o.show] ?? o.show;
      const name = document.createElement("span");
      name.className = "nick";
      name.textContent = o.nick;
      const state = document.createElement("span");
      state.className = "show";
      state.textContent = SHOW_TEXT[o.show] ?? o.show;
      li.append(dot, name, state);
      return li;
    }));
    this.occupantCount.textContent = `(${occupants.length})`;
  }

  addLine(line: ChatLine): void {
    const li = document.createElement("li");
    li.className = `line ${line.kind}`;
    if (line.self) li.classList.add("self");
    if (line.history) li.classList.add("history");
    const time = document.createElement("time");
    time.dateTime = line.time.toISOString();
    time.textContent = formatTime(line.time);
    time.title = line.time.toLocaleString();
    li.append(time);
    if (line.kind === "message") {
      const nick = document.createElement("span");
      nick.className = "from";
      nick.textContent = line.nick;
      li.append(nick);
    }
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = line.kind === "subject" ? `Topic: ${line.body}` : line.body;
    li.append(body);
    const atBottom = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 40;
    this.messages.append(li);
    if (atBottom || line.self) this.messages.scrollTop = this.messages.scrollHeight;
  }

  showRoomError(text: string): void {
    this.roomError.textContent = text;
  }
}
