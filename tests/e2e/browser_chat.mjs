// End-to-end: two people in Chromium (driven by playwright-core) chat through the real server.
// Started by test_browser.py with PARLEY_URL (the page), PARLEY_MUC, PARLEY_ARTIFACTS; when it
// needs the server stopped or started it prints {"request": "stop"} / {"request": "start"} and
// waits for a line on stdin.
// Every wait is bounded; the first failed step exits non-zero with what it saw.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import fs from "node:fs";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = process.env.PARLEY_WEB_DIR || path.join(here, "..", "..", "web");
const require = createRequire(path.join(webDir, "package.json"));
const { chromium } = require("playwright-core");

const url = process.env.PARLEY_URL;
const muc = process.env.PARLEY_MUC || "conference.localhost";
const artifacts = process.env.PARLEY_ARTIFACTS;
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const WAIT = 20000; // per step; generous because ctest runs the suites side by side
const ROOM_LIST_WAIT = 30000; // the client refreshes the list every 10 s
const RECONNECT_WAIT = 45000;
const run = Date.now().toString(36);
const lobby = `lobby@${muc}`;

const stdin = createInterface({ input: process.stdin });
const stdinLines = [];
let stdinWaiter = null;
stdin.on("line", (line) => {
  if (stdinWaiter) {
    const w = stdinWaiter;
    stdinWaiter = null;
    w(line);
  } else stdinLines.push(line);
});

function nextStdinLine(timeoutMs) {
  if (stdinLines.length) return Promise.resolve(stdinLines.shift());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer from the test runner")), timeoutMs);
    stdinWaiter = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
  });
}

/** Asks the test runner (test_browser.py) for something and waits for its one-line answer. */
async function ask(request, timeoutMs = 60000) {
  console.log(JSON.stringify(request));
  return (await nextStdinLine(timeoutMs)).trim();
}

function step(text) {
  console.log(`step: ${text}`);
}

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

async function lines(page) {
  return page.locator("#messages li.line .body").allTextContents();
}

async function waitForLine(page, text, who) {
  await page.locator("#messages li.line .body", { hasText: text }).first()
    .waitFor({ timeout: WAIT })
    .catch(async () => {
      throw new Error(`${who} did not see "${text}"; messages: ${JSON.stringify(await lines(page))}`);
    });
}

async function waitForOccupant(page, nick, who) {
  await page.locator(`#occupants li[data-nick="${nick}"]`).waitFor({ timeout: WAIT }).catch(async () => {
    const list = await page.locator("#occupants li").evaluateAll((els) => els.map((e) => e.dataset.nick));
    throw new Error(`${who} does not see ${nick} in the room; occupants: ${JSON.stringify(list)}`);
  });
}

async function waitForState(page, state, timeout, who) {
  await page.waitForFunction((s) => document.getElementById("status")?.dataset.state === s, state, { timeout })
    .catch(async () => {
      const now = await page.locator("#status").getAttribute("data-state");
      throw new Error(`${who}: connection state stayed "${now}", expected "${state}"`);
    });
}

async function send(page, text) {
  await page.fill("#message-input", text);
  await page.press("#message-input", "Enter");
}

async function currentRoom(page) {
  return page.locator("#room-select").inputValue();
}

async function screenshot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

async function signIn(page, user, password) {
  await page.goto(url, { timeout: WAIT });
  await page.fill("#login-user", user);
  await page.fill("#login-password", password);
  await page.click("#register-button");
  await page.locator("#chat-view").waitFor({ state: "visible", timeout: WAIT }).catch(async () => {
    throw new Error(`${user} could not register: ${await page.locator("#login-error").textContent()}`);
  });
  await waitForState(page, "online", WAIT, user);
  // The first room of the server's list is entered by default.
  await page.waitForFunction(() => document.querySelectorAll("#room-select option").length > 0, null,
    { timeout: WAIT }).catch(async () => {
    throw new Error(`${user}: the room list stayed empty (${await page.locator("#room-error").textContent()})`);
  });
  const first = await page.locator("#room-select option").first().getAttribute("value");
  assert(first === lobby, `${user}: the first room listed is ${first}, expected ${lobby}`);
  await page.waitForFunction((room) => document.getElementById("room-select").value === room, lobby,
    { timeout: WAIT });
  await waitForOccupant(page, user, user);
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, timeout: 30000 });
  const problems = [];
  const pages = []; // [who, page], for screenshots when a step fails
  try {
    const desktop = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const alice = await desktop.newPage();
    const bob = await phone.newPage();
    pages.push(["alice", alice], ["bob", bob]);
    for (const [page, who] of [[alice, "alice"], [bob, "bob"]]) {
      page.on("pageerror", (err) => problems.push(`${who}: page error: ${err.message}`));
      page.setDefaultTimeout(WAIT);
    }
    const a = `alice${run}`;
    const b = `bob${run}`;
    const password = `pw-${run}`;

    step("both register and land in the first room (lobby)");
    await signIn(alice, a, password);
    await signIn(bob, b, password);
    await waitForOccupant(alice, b, a);
    await waitForOccupant(bob, a, b);

    step("they chat in the lobby");
    const l1 = `lobby hello from alice ${run}`;
    const l2 = `lobby hello from bob ${run}`;
    await send(alice, l1);
    await waitForLine(bob, l1, b);
    await send(bob, l2);
    await waitForLine(alice, l2, a);
    await waitForLine(alice, l1, a);
    const stamp = await bob.locator("#messages li.line", { hasText: l1 }).locator("time").getAttribute("datetime");
    assert(stamp && Math.abs(Date.parse(stamp) - Date.now()) < 5 * 60000, `timestamp of a new message: ${stamp}`);
    step("a stock client (slixmpp over TCP) joins the lobby and talks with them");
    const stockNick = "slixmpp-user";
    const fromStock = `hello from slixmpp ${run}`;
    const toStock = `hello slixmpp, from alice ${run}`;
    assert(await ask({ request: "stock-join", room: lobby, nick: stockNick }) === "ok", "slixmpp could not join");
    await waitForOccupant(alice, stockNick, a);
    await waitForOccupant(bob, stockNick, b);
    assert(await ask({ request: "stock-say", room: lobby, body: fromStock }) === "ok", "slixmpp could not send");
    await waitForLine(alice, fromStock, a);
    await waitForLine(bob, fromStock, b);
    await send(alice, toStock);
    const heard = await ask({ request: "stock-expect", body: toStock });
    assert(heard === "ok", `slixmpp did not get alice's message: ${heard}`);
    await screenshot(alice, "1-alice-lobby");
    await screenshot(bob, "1-bob-lobby-phone");

    step("alice creates a room by name and is alone in an empty view");
    const sideName = `Side ${run}`;
    const side = `side-${run}@${muc}`;
    await alice.fill("#create-room-name", sideName);
    await alice.click("#create-room-button");
    await alice.waitForFunction((room) => document.getElementById("room-select").value === room, side);
    await waitForOccupant(alice, a, a);
    assert(!(await lines(alice)).some((t) => t.includes(l1) || t.includes(l2)),
      `alice's view of the new room shows lobby messages: ${JSON.stringify(await lines(alice))}`);
    const s1 = `side hello from alice ${run}`;
    await send(alice, s1);
    await waitForLine(alice, s1, a);

    step("the new room appears in bob's list");
    await bob.locator(`#room-select option[value="${side}"]`).waitFor({ state: "attached", timeout: ROOM_LIST_WAIT })
      .catch(() => { throw new Error(`${side} did not appear in bob's room list`); });
    assert(await currentRoom(bob) === lobby, "bob left the lobby by himself");

    step("alice goes back to the lobby through the drop-down and sees its history only");
    await alice.selectOption("#room-select", lobby);
    await waitForLine(alice, l1, a);
    await waitForLine(alice, l2, a);
    assert(!(await lines(alice)).some((t) => t.includes(s1)), "alice's lobby view shows the side room's message");

    step("bob switches to the new room through the drop-down: emptied view, only that room");
    await bob.selectOption("#room-select", side);
    await waitForLine(bob, s1, b); // the room's history
    assert(!(await lines(bob)).some((t) => t.includes(l1) || t.includes(l2)),
      `bob's view of ${side} still shows lobby messages: ${JSON.stringify(await lines(bob))}`);
    await waitForOccupant(bob, b, b);
    assert(await bob.locator(`#occupants li[data-nick="${a}"]`).count() === 0, "bob sees alice in the side room");
    const l3 = `later lobby message from alice ${run}`;
    const s2 = `side message from bob ${run}`;
    await send(alice, l3);
    await send(bob, s2);
    await waitForLine(alice, l3, a);
    await waitForLine(bob, s2, b);
    await bob.waitForTimeout(1500);
    assert(!(await lines(bob)).some((t) => t.includes(l3)), "bob (in the side room) got alice's lobby message");
    assert(!(await lines(alice)).some((t) => t.includes(s2)), "alice (in the lobby) got bob's side-room message");
    await screenshot(alice, "2-alice-lobby-after-switch");
    await screenshot(bob, "2-bob-side-room-phone");

    step("the server restarts; both reconnect by themselves and rejoin their rooms");
    assert(await ask({ request: "stock-leave" }) === "ok", "slixmpp could not leave");
    assert(await ask({ request: "stop" }) === "stopped", "the runner could not stop the server");
    // While the stream is down nobody is in a room: no stale occupants, and the composer is off
    // (a message typed then would be lost: the server no longer counts the user in the room).
    for (const [page, who] of [[alice, a], [bob, b]]) {
      await page.waitForFunction(() => document.getElementById("status")?.dataset.state !== "online" &&
        document.querySelectorAll("#occupants li").length === 0 &&
        document.getElementById("message-input").disabled, null, { timeout: WAIT })
        .catch(() => { throw new Error(`${who}: still shown in the room, or able to send, while the server is down`); });
    }
    assert(await ask({ request: "start" }) === "started", "the runner could not start the server");
    for (const [page, who] of [[alice, a], [bob, b]]) await waitForState(page, "online", RECONNECT_WAIT, who);
    assert(await currentRoom(alice) === lobby, "alice is no longer in the lobby after reconnecting");
    assert(await currentRoom(bob) === side, "bob is no longer in the side room after reconnecting");
    // The room alice created in the browser is persistent: listed by the restarted server.
    await alice.locator(`#room-select option[value="${side}"]`).waitFor({ state: "attached", timeout: ROOM_LIST_WAIT })
      .catch(() => { throw new Error(`${side} is not in the room list after the restart`); });
    await waitForOccupant(alice, a, a);
    await waitForOccupant(bob, b, b);
    const l4 = `lobby after restart ${run}`;
    const s3 = `side after restart ${run}`;
    await send(alice, l4);
    await send(bob, s3);
    await waitForLine(alice, l4, a);
    await waitForLine(bob, s3, b);
    await screenshot(alice, "3-alice-after-restart");
    await screenshot(bob, "3-bob-after-restart-phone");

    step("the phone layout fits 375 px");
    const overflow = await bob.evaluate(() => document.documentElement.scrollWidth);
    assert(overflow <= 375, `the page is ${overflow}px wide on a 375px screen`);

    step("a taken name and a wrong password are refused with a readable message");
    const third = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
    pages.push(["third", third]);
    for (const [button, pw, expected] of [["#register-button", password, "taken"],
      ["#login-button", `wrong-${password}`, "Wrong user name or password"]]) {
      await third.goto(url, { timeout: WAIT });
      await third.fill("#login-user", a);
      await third.fill("#login-password", pw);
      await third.click(button);
      await third.locator("#login-error", { hasText: expected }).waitFor({ timeout: WAIT }).catch(async () => {
        throw new Error(`${button} with ${pw}: expected "${expected}", got "${await third.locator("#login-error").textContent()}"`);
      });
      assert(await third.locator("#chat-view").isHidden(), "a refused login shows the chat");
    }
    step("the right password logs in (a second session of bob's) and lands in the lobby");
    await third.fill("#login-user", b);
    await third.fill("#login-password", password);
    await third.click("#login-button");
    await third.locator("#chat-view").waitFor({ state: "visible", timeout: WAIT }).catch(async () => {
      throw new Error(`bob could not log in: ${await third.locator("#login-error").textContent()}`);
    });
    await waitForState(third, "online", WAIT, "bob's second session");
    await third.waitForFunction((room) => document.getElementById("room-select").value === room, lobby,
      { timeout: WAIT });
    await waitForOccupant(third, a, "bob's second session");
  } catch (err) {
    for (const [who, page] of pages) {
      await screenshot(page, `failure-${who}`).catch(() => undefined);
    }
    throw err;
  } finally {
    await browser.close();
  }
  assert(problems.length === 0, problems.join("\n"));
  console.log("e2e: all steps passed");
}

main().then(() => process.exit(0), (err) => {
  console.error(`e2e failed: ${err.stack || err}`);
  process.exit(1);
});
