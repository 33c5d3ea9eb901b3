// A WebSocket XMPP client built on npm's @xmpp/client, driven by the integration tests over
// stdin/stdout: one JSON command per line in, one JSON reply per line out ({id, ok, ...}).
//
// Commands:
//   {cmd: "login", service, domain, username, password, register?, resource?}
//        -> {jid, mechanism}            (register: XEP-0077 on the stream before SASL)
//   {cmd: "send", to, body, type?}      -> {}
//   {cmd: "wait_message", from?, body?, type?, timeout?}
//        -> {from, body, type, delayed} (first received message that matches; bounded wait)
//   {cmd: "disco_items", to}            -> {items: [{jid, name}]}
//   {cmd: "join", room, nick, timeout?} -> {occupants: [nick, ...]}   (MUC, until self-presence)
//   {cmd: "wait_occupant", room, nick, timeout?} -> {}
//   {cmd: "configure_instant", room}    -> {}   (accept the default configuration of a new room)
//   {cmd: "stop"}                       -> {} and exit
//
// @xmpp/client and its dependencies come from the browser client's node_modules (web/).
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = process.env.PARLEY_WEB_DIR || path.join(here, "..", "..", "web");
const require = createRequire(path.join(webDir, "package.json"));
const { client, xml } = require("@xmpp/client");

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_REGISTER = "jabber:iq:register";
const NS_MUC = "http://jabber.org/protocol/muc";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner";
const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_DELAY = "urn:xmpp:delay";
const DEFAULT_WAIT_MS = 15000;

let xmpp = null;
let mechanism = null;
const received = []; // every incoming message and presence, in order
const waiters = new Set(); // () => boolean, re-checked whenever something arrives

function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function bare(address) {
  return (address || "").split("/")[0];
}

/** Resolves with the first received stanza `match` accepts (also ones that came earlier). */
function waitFor(match, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const i = received.findIndex(match);
      if (i < 0) return false;
      const [stanza] = received.splice(i, 1);
      clearTimeout(timer);
      waiters.delete(check);
      resolve(stanza);
      return true;
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    if (!check()) waiters.add(check);
  });
}

async function login({ service, domain, username, password, register, resource }) {
  let registerFirst = Boolean(register);
  xmpp = client({
    service,
    domain,
    resource: resource || "ws-test",
    credentials: async (authenticate) => {
      if (registerFirst) {
        await xmpp.iqCaller.set(
          xml("query", { xmlns: NS_REGISTER }, xml("username", {}, username), xml("password", {}, password)),
          domain,
        );
        registerFirst = false;
      }
      await authenticate({ username, password });
    },
  });
  xmpp.reconnect.stop();
  xmpp.on("send", (el) => {
    if (el.is("auth", NS_SASL)) mechanism = el.attrs.mechanism;
  });
  xmpp.on("stanza", (stanza) => {
    if (stanza.is("message") || stanza.is("presence")) {
      received.push(stanza);
      for (const check of [...waiters]) check();
    }
  });
  const failed = new Promise((_, reject) => xmpp.on("error", reject));
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("login timed out")), 20000).unref());
  const address = await Promise.race([xmpp.start(), failed, timeout]);
  await xmpp.send(xml("presence"));
  return { jid: address.toString(), mechanism };
}

async function handle(msg) {
  switch (msg.cmd) {
    case "login":
      return login(msg);
    case "send":
      await xmpp.send(xml("message", { to: msg.to, type: msg.type || "chat" }, xml("body", {}, msg.body)));
      return {};
    case "wait_message": {
      const stanza = await waitFor(
        (s) => s.is("message") &&
          (msg.from === undefined || s.attrs.from === msg.from || bare(s.attrs.from) === msg.from) &&
          (msg.type === undefined || s.attrs.type === msg.type) &&
          s.getChildText("body") !== null &&
          (msg.body === undefined || s.getChildText("body") === msg.body),
        msg.timeout || DEFAULT_WAIT_MS, `message ${JSON.stringify(msg)}`);
      return {
        from: stanza.attrs.from,
        body: stanza.getChildText("body"),
        type: stanza.attrs.type || "normal",
        delayed: stanza.getChild("delay", NS_DELAY) !== undefined,
      };
    }
    case "disco_items": {
      const query = await xmpp.iqCaller.get(xml("query", { xmlns: NS_DISCO_ITEMS }), msg.to, DEFAULT_WAIT_MS);
      return { items: query.getChildren("item").map((i) => ({ jid: i.attrs.jid, name: i.attrs.name || null })) };
    }
    case "join": {
      const self = `${msg.room}/${msg.nick}`;
      await xmpp.send(xml("presence", { to: self },
        xml("x", { xmlns: NS_MUC }, xml("history", { maxstanzas: "0" }))));
      const presence = await waitFor(
        (s) => s.is("presence") && s.attrs.from === self,
        msg.timeout || DEFAULT_WAIT_MS, `self-presence from ${self}`);
      if (presence.attrs.type === "error") throw new Error(`join refused: ${presence.getChild("error")}`);
      const codes = (presence.getChild("x", NS_MUC_USER)?.getChildren("status") || []).map((s) => s.attrs.code);
      const occupants = received
        .filter((s) => s.is("presence") && bare(s.attrs.from) === msg.room && s.attrs.type !== "unavailable")
        .map((s) => s.attrs.from.slice(msg.room.length + 1));
      return { occupants: [...occupants, msg.nick], status_codes: codes };
    }
    case "wait_occupant": {
      const who = `${msg.room}/${msg.nick}`;
      await waitFor((s) => s.is("presence") && s.attrs.from === who && s.attrs.type !== "unavailable",
        msg.timeout || DEFAULT_WAIT_MS, `presence of ${who}`);
      return {};
    }
    case "configure_instant":
      await xmpp.iqCaller.set(
        xml("query", { xmlns: NS_MUC_OWNER }, xml("x", { xmlns: "jabber:x:data", type: "submit" })),
        msg.room, DEFAULT_WAIT_MS);
      return {};
    case "stop":
      if (xmpp) {
        await Promise.race([xmpp.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
      }
      return {};
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  // Commands run one after another, in the order they came.
  queue = queue.then(async () => {
    try {
      reply({ id: msg.id, ok: true, ...(await handle(msg)) });
    } catch (err) {
      reply({ id: msg.id, ok: false, error: err.condition ? `${err.condition}: ${err.message}` : String(err.message || err) });
    }
    if (msg.cmd === "stop") process.exit(0);
  });
});
lines.on("close", () => {
  void queue.then(() => process.exit(0));
});
