// The conversation's WebSocket: hello with the last seq shown, ping every 25 s, reconnect with backoff and resume.

const PING_MS = 25000;
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 15000;

export class Live {
  // after(): the highest seq shown so far; onFrame(frame); onState("ready" | "lost", {everReady}).
  constructor({ path, token, after, onFrame, onState }) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = `${scheme}//${location.host}${path}`;
    Object.assign(this, { token, after, onFrame, onState });
    this.attempt = 0;
    this.stopped = true;
    this.socket = null;
    this.ready = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    if (socket) socket.close();
  }

  // Back online or visible again: do not wait for the backoff.
  nudge() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  send(frame) {
    if (!this.ready || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  connect() {
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    this.ready = false;
    let everReady = false;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", token: this.token, after: this.after() }));
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "ready") {
        this.ready = everReady = true;
        this.attempt = 0;
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_MS);
        this.onState("ready", {});
      }
      this.onFrame(frame);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return; // stopped or replaced
      clearInterval(this.pingTimer);
      this.socket = null;
      this.ready = false;
      this.onState("lost", { everReady });
      this.retry();
    });
  }

  retry() {
    if (this.stopped) return;
    const base = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const jitter = 0.8 + Math.random() * 0.4; // many visitors must not reconnect in lockstep after a restart
    this.retryTimer = setTimeout(() => this.connect(), base * jitter);
  }
}
