// Unit tests of the widget's connection logic (node --test): the socket, the REST fallback,
// re-sending after a failure, and never sending one message twice. The socket and fetch are
// fakes driven by the test; the browser tests (tests/test_widget.py) use the real ones.
import assert from "node:assert/strict";
import { beforeEach, mock, test } from "node:test";
import { Connection, SOCKET_WAIT_MS } from "../src/connection.js";

class FakeSocket {
  constructor() {
    this.handlers = {};
    this.emitted = [];
    this.connected = false;
  }

  on(event, handler) {
    this.handlers[event] = handler;
  }

  emit(event, data) {
    this.emitted.push([event, data]);
  }

  /** The server side: connect, and confirm the session asked for when its token is the one
   * issued for it ("t-<id>"), else issue a new session. */
  accept() {
    this.connected = true;
    this.handlers.connect();
    const [, request] = this.emitted.filter(([event]) => event === "session_request").at(-1);
    if (request.session_id && request.token === `t-${request.session_id}`) {
      this.handlers.session_confirm({ session_id: request.session_id, token: request.token });
    } else {
      issued += 1;
      this.handlers.session_confirm({ session_id: `s${issued}`, token: `t-s${issued}` });
    }
  }

  fail() {
    this.connected = false;
    this.handlers.connect_error(new Error("refused"));
  }

  drop() {
    this.connected = false;
    this.handlers.disconnect("transport close");
  }

  connect() {}

  disconnect() {
    this.connected = false;
  }

  uttered() {
    return this.emitted.filter(([event]) => event === "user_uttered").map(([, data]) => data);
  }
}

/** fetch that answers each POST when the test says so: `reply(list)` or `refuse()`. */
class FakeRest {
  constructor() {
    this.posts = [];
    this.fetch = (url, init) => new Promise((resolve, reject) => {
      this.posts.push({
        url,
        body: JSON.parse(init.body),
        reply: (messages) => resolve({ ok: true, json: async () => messages }),
        refuse: () => reject(new TypeError("Failed to fetch")),
      });
    });
  }

  async answer(index, messages) {
    this.posts[index].reply(messages);
    await settle();
  }

  async refuse(index) {
    this.posts[index].refuse();
    await settle();
  }
}

const settle = () => new Promise((resolve) => { setImmediate(resolve); });

let socket;
let rest;
let seen;
let issued = 0; // sessions the fake server issued

/** A connection resuming session "a1" (its token is "t-a1"), or as given. */
function connection(sessionId = "a1", token = `t-${sessionId}`, sessionUrl = null) {
  socket = new FakeSocket();
  rest = new FakeRest();
  seen = { bot: [], sent: [], failed: [], done: 0, states: [], sessions: [] };
  return new Connection({
    rasaUrl: new URL("https://rasa.example.org/chat/"),
    sessionId,
    token,
    io: () => socket,
    fetch: rest.fetch,
    sessionUrl,
    events: {
      onBot: (raw) => seen.bot.push(raw.text),
      onReplyDone: () => { seen.done += 1; },
      onSent: (id) => seen.sent.push(id),
      onFailed: (id) => seen.failed.push(id),
      onState: (state) => seen.states.push(state),
      onSession: (session) => seen.sessions.push(session),
    },
  });
}

beforeEach(() => {
  mock.timers.reset();
  issued = 0;
});

test("resuming sends the kept session id and token; the server's confirmation changes nothing", () => {
  const chat = connection();
  socket.accept();
  assert.deepEqual(socket.emitted[0], ["session_request", { session_id: "a1", token: "t-a1" }]);
  assert.deepEqual(seen.sessions, []);
  chat.send("m1", "hello");
  assert.deepEqual(socket.uttered(), [{ message: "hello", session_id: "a1" }]);
});

test("without a token the server's new session is used and kept, also over REST", async () => {
  const chat = connection("local1", null);
  chat.send("m1", "first");
  socket.accept();
  assert.deepEqual(socket.emitted[0], ["session_request", {}], "a local id is not offered to the server");
  assert.deepEqual(seen.sessions, [{ sessionId: "s1", token: "t-s1" }]);
  assert.deepEqual(socket.uttered(), [{ message: "first", session_id: "s1" }]);
  socket.drop();
  socket.fail();
  chat.send("m2", "over rest");
  await settle();
  assert.deepEqual(rest.posts[0].body, { sender: "s1", message: "over rest", token: "t-s1" });
});

test("a token the server does not accept gets a new session, never the old id", () => {
  const chat = connection("a1", "forged");
  socket.accept();
  assert.deepEqual(seen.sessions, [{ sessionId: "s1", token: "t-s1" }]);
  chat.send("m1", "hello");
  assert.deepEqual(socket.uttered(), [{ message: "hello", session_id: "s1" }]);
});

test("a socket that never connected sends REST under the local id without a token", async () => {
  const chat = connection("local1", null);
  chat.send("m1", "hello");
  socket.fail();
  await settle();
  assert.deepEqual(rest.posts[0].body, { sender: "local1", message: "hello" });
});

const SESSION_URL = "https://web.example.org/widget/session";

test("a socket that never connected gets a session over HTTP first, once, and REST carries its token",
  async () => {
    const chat = connection("local1", null, SESSION_URL);
    chat.send("m1", "hello");
    chat.send("m2", "again");
    socket.fail();
    await settle();
    assert.equal(rest.posts[0].url, SESSION_URL);
    assert.deepEqual(rest.posts[0].body, {}, "a local id is not offered to the server");
    assert.equal(rest.posts.length, 1, "the messages wait for the session");
    await rest.answer(0, { session_id: "s9", token: "t-s9" });
    assert.deepEqual(seen.sessions, [{ sessionId: "s9", token: "t-s9" }]);
    assert.deepEqual(rest.posts[1].body, { sender: "s9", message: "hello", token: "t-s9" });
    await rest.answer(1, [{ text: "one" }]);
    assert.deepEqual(rest.posts[2].body, { sender: "s9", message: "again", token: "t-s9" });
    await rest.answer(2, [{ text: "two" }]);
    assert.deepEqual(seen.bot, ["one", "two"]);
    assert.equal(rest.posts.filter((post) => post.url === SESSION_URL).length, 1, "asked once");
    socket.accept(); // the socket gets through later: it resumes the same session
    assert.deepEqual(socket.emitted, [["session_request", { session_id: "s9", token: "t-s9" }]]);
    assert.equal(seen.sessions.length, 1, "the socket confirmed the same session");
  });

test("when the session call fails the message still goes, without a token, and the next one asks again",
  async () => {
    const chat = connection("local1", null, SESSION_URL);
    chat.send("m1", "hello");
    socket.fail();
    await settle();
    await rest.refuse(0);
    assert.deepEqual(rest.posts[1].body, { sender: "local1", message: "hello" });
    await rest.answer(1, [{ text: "one" }]);
    assert.deepEqual(seen.sent, ["m1"]);
    chat.send("m2", "again");
    await settle();
    assert.equal(rest.posts[2].url, SESSION_URL);
  });

test("a restart while the session is being had drops the old message", async () => {
  const chat = connection("local1", null, SESSION_URL);
  chat.send("m1", "hello");
  socket.fail();
  await settle();
  chat.restart("local2");
  await rest.answer(0, { session_id: "s9", token: "t-s9" });
  assert.equal(rest.posts.length, 1, "the message of the deleted conversation was not sent");
  assert.deepEqual(seen.sessions, [], "nor was its session taken");
});

test("over the socket once it confirmed the session", () => {
  const chat = connection();
  chat.send("m1", "too early");
  assert.deepEqual(socket.uttered(), [], "nothing goes out before the session is confirmed");
  socket.accept();
  chat.send("m2", "hello");
  assert.deepEqual(socket.uttered(), [
    { message: "too early", session_id: "a1" }, { message: "hello", session_id: "a1" }]);
  assert.deepEqual(seen.sent, ["m1", "m2"]);
  assert.deepEqual(rest.posts, []);
});

test("over REST when the socket cannot connect, with the replies in order", async () => {
  const chat = connection();
  chat.send("m1", "hello");
  socket.fail();
  assert.equal(rest.posts.length, 0, "posted in order, after the queue was flushed");
  await settle();
  assert.equal(rest.posts.length, 1);
  assert.equal(rest.posts[0].url, "https://rasa.example.org/chat/webhooks/rest/webhook");
  assert.deepEqual(rest.posts[0].body, { sender: "a1", message: "hello", token: "t-a1" });
  await rest.answer(0, [{ text: "one" }, { text: "two" }]);
  assert.deepEqual(seen.bot, ["one", "two"]);
  assert.deepEqual(seen.sent, ["m1"]);
  assert.equal(seen.done, 1);
});

test("a message waits a while for the socket, then goes over REST", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  const chat = connection();
  chat.send("m1", "hello");
  mock.timers.tick(SOCKET_WAIT_MS - 1);
  await settle();
  assert.equal(rest.posts.length, 0);
  mock.timers.tick(1);
  await settle();
  assert.equal(rest.posts.length, 1);
  socket.accept(); // the socket comes later: the message is not sent a second time
  assert.deepEqual(socket.uttered(), []);
});

test("a failed message is re-sent once when the socket comes back, never twice", async () => {
  const chat = connection();
  socket.fail();
  chat.send("m1", "me kane marre pasaporten");
  await settle();
  await rest.refuse(0);
  assert.deepEqual(seen.failed, ["m1"]);
  socket.accept();
  assert.deepEqual(socket.uttered(), [{ message: "me kane marre pasaporten", session_id: "a1" }]);
  assert.deepEqual(seen.sent, ["m1"]);
  socket.drop();
  socket.accept();
  assert.equal(socket.uttered().length, 1, "a second reconnect sends nothing again");
});

test("the automatic re-send happens once even when it fails too; Retry still works", async () => {
  const chat = connection();
  socket.fail();
  chat.send("m1", "help");
  await settle();
  await rest.refuse(0);
  socket.accept(); // connected, the re-send is on its way ...
  assert.equal(socket.uttered().length, 1);
  socket.drop();
  socket.fail();
  chat.send("m2", "again");
  await settle();
  await rest.refuse(1);
  socket.accept(); // m2 is re-sent by itself, m1 (sent already) is not
  assert.deepEqual(socket.uttered().map((u) => u.message), ["help", "again"]);
  socket.fail();
  chat.send("m3", "third");
  await settle();
  await rest.refuse(2);
  chat.send("m3", "third"); // the Retry button, still offline
  await settle();
  assert.equal(rest.posts.length, 4);
  await rest.refuse(3);
  socket.accept(); // m3 was never re-sent by a reconnect: once now
  assert.deepEqual(socket.uttered().map((u) => u.message), ["help", "again", "third"]);
});

test("a message on its way is not sent again (a double tap on Retry)", async () => {
  const chat = connection();
  socket.fail();
  chat.send("m1", "hello");
  chat.send("m1", "hello");
  await settle();
  assert.equal(rest.posts.length, 1);
  await rest.answer(0, []);
  assert.deepEqual(seen.sent, ["m1"]);
});

test("after a restart no reply of the old session is shown and nothing old is re-sent", async () => {
  const chat = connection();
  socket.fail();
  chat.send("m1", "old question");
  await settle();
  await rest.refuse(0);
  chat.send("m2", "another old one");
  await settle();
  chat.restart("b2");
  await rest.answer(1, [{ text: "old answer" }]);
  assert.deepEqual(seen.bot, []);
  socket.accept();
  assert.deepEqual(socket.uttered(), [], "the failed message of the old session stays unsent");
  assert.deepEqual(socket.emitted.filter(([e]) => e === "session_request").at(-1), ["session_request", {}]);
  chat.send("m3", "new");
  assert.deepEqual(socket.uttered(), [{ message: "new", session_id: "s1" }], "the server's new session");
});
