// Sales Coach chat widget. Embed on any intranet page with:
//   <script>window.SalesCoachConfig = { userId: "jdoe", userName: "Jane Doe" };</script>
//   <script type="module" src="https://SERVER/webchat/widget.js"></script>
// It talks to Rasa's socket.io channel (user_uttered / bot_uttered, session persistence).
// With signed identity, the page passes a JWT instead of userId: `token` (a string) or
// `getToken` (a function returning one, or a promise of one; called on every (re)connect).
import { io } from "./vendor/socket.io.esm.min.js";
import { label, pickLanguage } from "./labels.js";
import { renderMarkdown } from "./render.js";
import { ConversationStore, pickStorage } from "./store.js";

const DEFAULTS = {
  socketUrl: new URL(import.meta.url).origin, // the server that serves this file
  socketPath: "/socket.io/",
  userId: null, // anonymous mode only: sent as metadata, not verified by the server
  userName: null,
  token: null, // signed identity: a JWT from the intranet's sign-in (see web/README.md)
  getToken: null, // or a function returning the JWT (or a promise of it), for fresh tokens
  language: null, // "en", "zh-Hans" or "zh-Hant"; null: from the browser's language
  title: null, // null: "Sales Coach" / 銷售教練 / 销售教练, by language
  startOpen: false,
  container: null, // CSS selector: render inside that element instead of floating
  storage: "local", // "local" keeps the chat across tabs and restarts, "session" per tab
  metadataKey: "metadata", // Rasa's socketio `metadata_key` credential
  userMessageEvent: "user_uttered",
  botMessageEvent: "bot_uttered",
};
const TYPING_TIMEOUT_MS = 30000;
// A message typed while disconnected waits this long, then shows as failed with a Retry button.
const SEND_TIMEOUT_MS = 10000;
// The bot's feedback intents: their buttons become the 👍/👎 row under the answer.
const FEEDBACK_INTENTS = { up: "feedback_positive", down: "feedback_negative" };
// Icons drawn inline (emoji fonts are missing on some intranet desktops): thumb, chat bubble.
const THUMB =
  "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 " +
  "1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09" +
  "-.23.14-.47.14-.73v-2z";
const BUBBLE = "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z";
const icon = (path) =>
  `<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">` +
  `<path fill="currentColor" d="${path}"/></svg>`;

// Static markup, no text in it: [data-text] / [data-aria] / [data-placeholder] name the LABELS
// key for the element's text / aria-label and title / placeholder.
const TEMPLATE = `
  <button class="launcher" type="button" aria-expanded="false" aria-controls="panel">
    ${icon(BUBBLE)} <span class="launcher-label"></span>
    <span class="badge" hidden></span>
  </button>
  <section class="panel" id="panel" aria-labelledby="title" hidden>
    <header>
      <div class="heading">
        <h2 id="title"></h2>
        <p class="status" role="status"></p>
      </div>
      <button class="restart" type="button" data-aria="restartConversation">
        <span aria-hidden="true">↺</span> <span data-text="restart"></span></button>
      <button class="close" type="button" data-aria="close">
        <span aria-hidden="true">×</span></button>
    </header>
    <div class="log" role="log" aria-live="polite" aria-relevant="additions text"
      aria-labelledby="log-label" tabindex="0"></div>
    <span id="log-label" class="sr-only" data-text="conversation"></span>
    <div class="typing" role="status" hidden>
      <span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>
      <span class="sr-only" data-text="typing"></span>
    </div>
    <form class="composer">
      <label for="input" class="sr-only" data-text="message"></label>
      <input id="input" type="text" autocomplete="off" maxlength="1000"
        data-placeholder="placeholder" />
      <button type="submit" data-text="send"></button>
    </form>
  </section>`;

class SalesCoachChat {
  constructor(host, config) {
    this.config = { ...DEFAULTS, ...config };
    this.language = pickLanguage(this.config.language, navigator.language);
    this.title = this.config.title || label(this.language, "title");
    this.inline = Boolean(this.config.container);
    this.signed = Boolean(this.config.token || this.config.getToken);
    // a signed-in user's history is kept apart from the anonymous one's on a shared browser
    const who = this.signed ? "signed" : (this.config.userId ?? "anonymous");
    const key = `salesCoach:v1:${this.config.socketUrl}:${who}`;
    this.store = new ConversationStore({ kind: this.config.storage, key });
    this.state = this.store.load();
    this.openKey = `${key}:open`;
    this.tabStorage = pickStorage("session"); // whether the panel is open, per tab
    this.socket = null;
    this.ready = false;
    this.outbox = []; // [{text, messageId}] waiting for the connection
    this.unread = 0;
    this.welcomeRequested = false;
    this.sendTimeoutMs = this.config.sendTimeoutMs ?? SEND_TIMEOUT_MS;
    // Sent before the page was left but never confirmed: shown as failed, with Retry.
    for (const message of this.state.messages) {
      if (message.status === "pending") message.status = "failed";
    }

    const root = host.attachShadow({ mode: "open" });
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("widget.css", import.meta.url).href;
    const template = document.createElement("template");
    template.innerHTML = TEMPLATE; // static markup, no data in it
    for (const element of template.content.querySelectorAll("[data-text]")) {
      element.textContent = this.t(element.dataset.text);
    }
    for (const element of template.content.querySelectorAll("[data-aria]")) {
      element.setAttribute("aria-label", this.t(element.dataset.aria));
      element.title = this.t(element.dataset.aria);
    }
    for (const element of template.content.querySelectorAll("[data-placeholder]")) {
      element.placeholder = this.t(element.dataset.placeholder);
    }
    root.append(style, template.content);
    this.root = root;
    this.el = Object.fromEntries(
      ["launcher", "badge", "panel", "status", "restart", "close", "log", "typing", "composer"].map(
        (name) => [name, root.querySelector(`.${name}`)],
      ),
    );
    this.el.input = root.querySelector("#input");
    root.querySelector("#title").textContent = this.title;
    root.querySelector(".launcher-label").textContent = this.title;
    host.lang = this.language;
    host.classList.toggle("inline", this.inline);

    this.el.launcher.addEventListener("click", () => this.setOpen(true));
    this.el.close.addEventListener("click", () => this.setOpen(false));
    this.el.restart.addEventListener("click", () => this.restart());
    this.el.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.el.input.value.trim();
      if (!text) return;
      this.el.input.value = "";
      this.send(text);
    });
    this.el.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.inline) this.setOpen(false);
    });

    this.renderAll();
    const wasOpen = this.tabStorage.getItem(this.openKey);
    this.setOpen(this.inline || (wasOpen === null ? this.config.startOpen : wasOpen === "1"), {
      focus: false,
    });
  }

  /** The interface text `key` (labels.js) in the widget's language. */
  t(key) {
    return label(this.language, key, this.title);
  }

  // --- panel -------------------------------------------------------------------------------

  setOpen(open, { focus = true } = {}) {
    this.el.panel.hidden = !open;
    this.el.launcher.hidden = open || this.inline;
    this.el.close.hidden = this.inline;
    this.el.launcher.setAttribute("aria-expanded", String(open));
    if (!this.inline) this.tabStorage.setItem(this.openKey, open ? "1" : "0");
    if (open) {
      this.setUnread(0);
      this.connect();
      this.scrollToEnd();
      if (focus) this.el.input.focus();
    } else if (focus) {
      this.el.launcher.focus();
    }
  }

  setStatus(text) {
    this.el.status.textContent = text;
  }

  /** The launcher's badge: bot messages that arrived while the panel was closed. */
  setUnread(count) {
    this.unread = count;
    this.el.badge.hidden = count === 0;
    this.el.badge.textContent = count > 9 ? "9+" : String(count);
    const unread = count ? `, ${this.t("unread").replace("{count}", count)}` : "";
    this.el.launcher.setAttribute("aria-label", `${this.title}${unread}`);
  }

  // --- socket.io -----------------------------------------------------------------------------

  connect() {
    if (this.socket) return;
    this.setStatus(this.t("connecting"));
    const options = { path: this.config.socketPath };
    if (this.signed) {
      // called on every (re)connect, so an expired token is replaced by a fresh one
      options.auth = (callback) => {
        Promise.resolve(this.config.getToken ? this.config.getToken() : this.config.token).then(
          (token) => callback({ token }),
          () => callback({ token: null }),
        );
      };
    }
    const socket = io(this.config.socketUrl, options);
    socket.on("connect", () => {
      // Rasa joins this socket to the room named after the session id (session_persistence).
      socket.emit("session_request", { session_id: this.state.sessionId });
    });
    socket.on("session_confirm", (data) => {
      const sessionId = typeof data === "string" ? data : data?.session_id;
      if (!sessionId) return;
      this.state.sessionId = sessionId;
      this.save();
      this.ready = true;
      this.setStatus("");
      for (const item of this.outbox.splice(0)) this.deliver(item);
      this.requestWelcome();
    });
    socket.on("disconnect", () => {
      this.ready = false;
      this.setStatus(this.t("reconnecting"));
    });
    socket.on("connect_error", () => {
      this.setStatus(this.t("unreachable"));
      // Refused by the server (no or an expired signed token): socket.io does not retry that
      // on its own; try again later with a fresh token from getToken.
      if (!socket.active) {
        this.setStatus(this.t(this.signed ? "signInAgain" : "unreachable"));
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => socket.connect(), 5000);
      }
    });
    socket.on(this.config.botMessageEvent, (message) => this.receive(message));
    this.socket = socket;
  }

  emit(text) {
    const data = { message: text, session_id: this.state.sessionId };
    const metadata = {};
    if (this.config.userId) metadata.user_id = String(this.config.userId);
    if (this.config.userName) metadata.user_name = String(this.config.userName);
    if (Object.keys(metadata).length) data[this.config.metadataKey] = metadata;
    this.socket.emit(this.config.userMessageEvent, data);
  }

  /**
   * Sends `text` to the bot. `display` is shown as the user's message (null: nothing shown);
   * `typing` shows the typing indicator until the bot answers. While disconnected the message
   * is queued and shown as pending; not sent within sendTimeoutMs, it shows as failed.
   */
  send(text, { display = text, typing = true } = {}) {
    this.connect();
    let message = null;
    if (display !== null) {
      message = { from: "user", text: display, payload: text };
      if (!this.ready) message.status = "pending";
      this.add(message);
    }
    if (this.ready) {
      this.emit(text);
      this.setTyping(typing);
      return;
    }
    const item = { text, messageId: message?.id ?? null, typing };
    this.outbox.push(item);
    if (message) {
      item.timer = setTimeout(() => this.fail(item), this.sendTimeoutMs);
    }
  }

  /** A queued message is sent once connected; its pending mark goes away. */
  deliver(item) {
    clearTimeout(item.timer);
    this.emit(item.text);
    const message = this.state.messages.find((m) => m.id === item.messageId);
    if (message) {
      delete message.status;
      this.save();
      this.rerender(message);
    }
    if (item.typing) this.setTyping(true);
  }

  fail(item) {
    const index = this.outbox.indexOf(item);
    if (index === -1) return;
    this.outbox.splice(index, 1);
    const message = this.state.messages.find((m) => m.id === item.messageId);
    if (!message) return;
    message.status = "failed";
    this.save();
    this.rerender(message);
  }

  /** Retry on a failed message: sent again (or queued again) in its place in the log. */
  retry(message) {
    const text = message.payload ?? message.text;
    if (this.ready) {
      delete message.status;
      this.save();
      this.rerender(message);
      this.emit(text);
      this.setTyping(true);
      return;
    }
    message.status = "pending";
    this.save();
    this.rerender(message);
    const item = { text, messageId: message.id, typing: true };
    item.timer = setTimeout(() => this.fail(item), this.sendTimeoutMs);
    this.outbox.push(item);
    this.connect();
  }

  /**
   * An empty history: the bot's own welcome with its topic buttons, in the widget's language
   * (the language entity sets the bot's language slot; nothing is shown as the user's).
   */
  requestWelcome() {
    if (this.welcomeRequested || this.state.messages.length) return;
    this.welcomeRequested = true;
    this.send(`/greet${JSON.stringify({ language: this.language })}`, { display: null });
  }

  restart() {
    this.send("/restart", { display: null, typing: false });
    this.state.messages = [];
    this.save();
    this.renderAll();
    this.welcomeRequested = false;
    if (this.ready) this.requestWelcome();
    this.el.input.focus();
  }

  /** A bot_uttered event: text (markdown) with quick replies, and/or custom.sales_coach. */
  receive(message) {
    this.setTyping(false);
    if (!message || typeof message !== "object") return;
    const coach =
      message.custom?.sales_coach ?? message.sales_coach ?? message.data?.sales_coach ?? null;
    const text = typeof message.text === "string" ? message.text : "";
    const { buttons, payloads } = splitFeedback(message.quick_replies ?? message.buttons ?? []);
    const entryIds = coach?.entry_ids ?? [];
    const feedback =
      coach || Object.keys(payloads).length ? { entryIds, payloads, rating: null } : null;

    if (text || buttons.length) {
      this.add({ from: "bot", text, buttons, ...(feedback && { feedback }) });
      if (this.el.panel.hidden) this.setUnread(this.unread + 1);
      return;
    }
    // `custom` arrived as its own event: attach the feedback buttons to the preceding answer.
    const previous = this.state.messages.at(-1);
    if (coach && previous?.from === "bot") {
      previous.feedback = { payloads: {}, rating: null, ...previous.feedback, entryIds };
      this.save();
      this.rerender(previous);
    }
  }

  /** 👍/👎: sends the bot's own feedback payload if it offered one, else /feedback{...}. */
  rate(message, rating) {
    const { feedback } = message;
    if (feedback.rating) return;
    feedback.rating = rating;
    this.save();
    this.rerender(message);
    const payload =
      feedback.payloads?.[rating] ??
      `/feedback${JSON.stringify({ rating, entry_ids: feedback.entryIds })}`;
    this.send(payload, { display: null, typing: Boolean(feedback.payloads?.[rating]) });
  }

  // --- rendering -----------------------------------------------------------------------------

  save() {
    this.store.save(this.state);
  }

  add(message) {
    message.id = `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
    const previous = this.latestWithReplies();
    this.state.messages.push(message);
    this.save();
    // only the latest message keeps live quick replies: the earlier ones are answered
    if (previous) this.rerender(previous);
    this.el.log.append(this.renderMessage(message));
    this.scrollToEnd();
  }

  latestWithReplies() {
    const last = this.state.messages.at(-1);
    return last?.buttons?.length ? last : null;
  }

  renderAll() {
    this.el.log.replaceChildren();
    for (const message of this.state.messages) this.el.log.append(this.renderMessage(message));
    this.scrollToEnd();
  }

  rerender(message) {
    const old = this.el.log.querySelector(`[data-id="${message.id}"]`);
    old?.replaceWith(this.renderMessage(message));
  }

  renderMessage(message) {
    const item = document.createElement("div");
    item.className = `msg msg-${message.from === "user" ? "user" : "bot"}`;
    if (message.status) item.classList.add(message.status); // pending or failed
    item.dataset.id = message.id;
    const who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = this.t(message.from === "user" ? "youSaid" : "botSaid");
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (message.from === "user") {
      bubble.textContent = message.text; // user text is never parsed as HTML or markdown
    } else {
      bubble.classList.add("md");
      bubble.append(renderMarkdown(message.text, { tableLabel: this.t("table") }));
    }
    item.append(who, bubble);
    if (message.status) item.append(this.renderDelivery(message));
    if (message.buttons?.length) {
      const live = message === this.state.messages.at(-1);
      item.append(this.renderQuickReplies(message.buttons, live));
    }
    if (message.feedback) item.append(this.renderFeedback(message));
    return item;
  }

  /** "Sending…" while queued; "Not sent" with a Retry button once it failed. */
  renderDelivery(message) {
    const line = document.createElement("div");
    line.className = `delivery ${message.status}`;
    const text = document.createElement("span");
    text.textContent = this.t(message.status === "failed" ? "notSent" : "sending");
    line.append(text);
    if (message.status === "failed") {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "retry";
      retry.textContent = this.t("retry");
      retry.addEventListener("click", () => this.retry(message));
      line.append(retry);
    }
    return line;
  }

  /** Quick replies; on an older message (`live` false) they stay visible but disabled. */
  renderQuickReplies(buttons, live) {
    const group = document.createElement("div");
    group.className = live ? "quick-replies" : "quick-replies stale";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", this.t("suggestedReplies"));
    for (const { title, payload } of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = title;
      button.disabled = !live;
      if (live) button.addEventListener("click", () => this.send(payload, { display: title }));
      group.append(button);
    }
    return group;
  }

  renderFeedback(message) {
    const group = document.createElement("div");
    group.className = "feedback";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", this.t("wasItHelpful"));
    const { rating } = message.feedback;
    for (const [value, key] of [
      ["up", "helpful"],
      ["down", "notHelpful"],
    ]) {
      const text = this.t(key);
      const button = document.createElement("button");
      button.type = "button";
      button.className = `rate rate-${value}`;
      button.innerHTML = icon(THUMB); // 👍 (👎 is the same icon turned over in widget.css)
      button.title = text;
      button.setAttribute("aria-label", text);
      button.setAttribute("aria-pressed", String(rating === value));
      button.disabled = Boolean(rating);
      button.addEventListener("click", () => this.rate(message, value));
      group.append(button);
    }
    if (rating) {
      const thanks = document.createElement("span");
      thanks.className = "thanks";
      thanks.textContent = this.t("thanks");
      group.append(thanks);
    }
    return group;
  }

  setTyping(on) {
    clearTimeout(this.typingTimer);
    this.el.typing.hidden = !on;
    if (on) this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_TIMEOUT_MS);
    this.scrollToEnd();
  }

  scrollToEnd() {
    this.el.log.scrollTop = this.el.log.scrollHeight;
  }
}

/**
 * Quick replies minus the bot's own 👍/👎 buttons (intents feedback_positive/negative), which
 * the widget shows as its feedback row instead: returns {buttons, payloads: {up, down}}.
 */
function splitFeedback(quickReplies) {
  const buttons = [];
  const payloads = {};
  for (const button of quickReplies) {
    if (!button?.title) continue;
    const title = String(button.title);
    const payload = String(button.payload ?? title);
    const rating = Object.keys(FEEDBACK_INTENTS).find((key) => {
      const intent = `/${FEEDBACK_INTENTS[key]}`;
      return payload === intent || payload.startsWith(`${intent}{`);
    });
    if (rating) payloads[rating] = payload;
    else buttons.push({ title, payload });
  }
  return { buttons, payloads };
}

function mount(config = {}) {
  const host = document.createElement("div");
  host.id = "sales-coach-chat";
  const parent = config.container ? document.querySelector(config.container) : document.body;
  (parent ?? document.body).append(host);
  return new SalesCoachChat(host, config);
}

window.salesCoachChat = mount(window.SalesCoachConfig);
