// Parley's browser client: wires the session, the rooms and the page together.
import { loadConfig, mucServiceFor, type ClientConfig } from "./config";
import { Rooms, type RoomInfo } from "./rooms";
import { Session } from "./session";
import { View } from "./ui";

const ROOM_LIST_REFRESH_MS = 10000;
const ROOM_LIST_SETTLE_MS = 1000; // after people come and go, so the list's counts follow soon

class App {
  private readonly view = new View();
  private readonly session: Session;
  private rooms: Rooms | null = null;
  private roomList: RoomInfo[] = [];
  private refreshTimer = 0;
  private settleTimer = 0;
  private shownOccupants = -1;

  constructor(private readonly config: ClientConfig) {
    this.session = new Session({
      state: (state) => {
        this.view.showState(state);
        // A dropped stream takes this user out of the room; sending waits for the rejoin.
        if (state !== "online") this.rooms?.disconnected();
      },
      online: (_address, resumed) => {
        if (resumed) void this.afterReconnect();
      },
      stanza: (stanza) => {
        this.rooms?.handle(stanza);
      },
    });
    this.bind();
    this.view.showState("offline");
    this.view.showLogin(config.registration, config.domain);
  }

  private bind(): void {
    const v = this.view;
    v.loginForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
      void this.login(submitter?.value === "register");
    });
    v.logoutButton.addEventListener("click", () => void this.logout());
    v.roomSelect.addEventListener("change", () => void this.enter(v.roomSelect.value));
    v.roomSelect.addEventListener("focus", () => void this.refreshRooms());
    v.createRoomForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.createRoom(v.createRoomName.value);
    });
    v.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = v.messageInput.value.trim();
      if (!text || !this.rooms?.send(text)) return;
      v.messageInput.value = "";
    });
  }

  private async login(register: boolean): Promise<void> {
    const v = this.view;
    v.loginError.textContent = "";
    v.setLoginBusy(true);
    try {
      const address = await this.session.login({
        websocket: this.config.websocket,
        login: v.loginUser.value,
        password: v.loginPassword.value,
        defaultDomain: this.config.domain,
        register,
      });
      v.loginPassword.value = "";
      v.showChat(address.bare().toString());
      const muc = this.session.domain === this.config.domain ? this.config.muc : mucServiceFor(this.session.domain);
      this.rooms = new Rooms(this.session, muc, {
        entering: () => v.clearRoom(),
        entered: () => {
          v.messageInput.focus();
          void this.refreshRooms(); // the list's names may count occupants
        },
        occupants: (_room, occupants) => {
          v.showOccupants(occupants);
          this.occupantCountChanged(occupants.length);
        },
        line: (_room, line) => v.addLine(line),
        joined: (_room, joined) => v.setInRoom(joined),
      });
      await this.refreshRooms();
      // Enter the first room of the list by default.
      if (this.roomList.length > 0) await this.enter(this.roomList[0].jid);
      else v.showRoomError("There are no rooms yet: create one.");
      this.refreshTimer = window.setInterval(() => void this.refreshRooms(), ROOM_LIST_REFRESH_MS);
    } catch (err) {
      v.loginError.textContent = (err as Error).message;
    } finally {
      v.setLoginBusy(false);
    }
  }

  /** The room list names may count occupants: refresh it once the current room settles. */
  private occupantCountChanged(count: number): void {
    if (count === this.shownOccupants) return;
    this.shownOccupants = count;
    window.clearTimeout(this.settleTimer);
    this.settleTimer = window.setTimeout(() => void this.refreshRooms(), ROOM_LIST_SETTLE_MS);
  }

  private async logout(): Promise<void> {
    window.clearInterval(this.refreshTimer);
    window.clearTimeout(this.settleTimer);
    this.rooms?.leave();
    this.rooms = null;
    this.view.setInRoom(false);
    this.roomList = [];
    this.view.clearRoom();
    this.view.showRooms([], null);
    await this.session.logout();
    this.view.showLogin(this.config.registration, this.config.domain);
  }

  private nick(): string {
    return this.session.address?.local ?? "guest";
  }

  private async enter(room: string): Promise<void> {
    const rooms = this.rooms;
    if (!rooms || !room || room === rooms.current) return;
    this.view.showRooms(this.roomList, room);
    try {
      await rooms.enter(room, this.nick());
    } catch (err) {
      if (rooms.current === room) this.view.showRoomError((err as Error).message);
    }
  }

  private async createRoom(name: string): Promise<void> {
    const rooms = this.rooms;
    if (!rooms) return;
    this.view.roomError.textContent = "";
    try {
      const room = await rooms.create(name, this.nick());
      this.view.createRoomName.value = "";
      await this.refreshRooms();
      this.view.showRooms(this.roomList, room);
    } catch (err) {
      this.view.showRoomError((err as Error).message);
    }
  }

  private async refreshRooms(): Promise<void> {
    const rooms = this.rooms;
    if (!rooms || this.session.connectionState !== "online") return;
    try {
      this.roomList = await rooms.list();
      this.view.showRooms(this.roomList, rooms.current);
    } catch (err) {
      this.view.showRoomError(`Could not fetch the room list: ${(err as Error).message}`);
    }
  }

  /** Back online after a dropped connection: the same room, with a fresh view of it. */
  private async afterReconnect(): Promise<void> {
    const rooms = this.rooms;
    if (!rooms) return;
    await this.refreshRooms();
    try {
      if (rooms.current) await rooms.rejoin();
      else if (this.roomList.length > 0) await this.enter(this.roomList[0].jid);
    } catch (err) {
      this.view.showRoomError((err as Error).message);
    }
  }
}

void loadConfig().then((config) => new App(config));
