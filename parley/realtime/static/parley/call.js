// 1:1 audio and video calls between the customer's web app and the expert's portal page (issue 5, P05).
//
// Parley only relays signalling: ringing goes over the chat socket the page already has ({type:"call", action,
// media}); descriptions and candidates go over the call socket /ws/call/<slug>/<interaction_id>/
// (docs/decisions/0006-calls.md). Media flows browser to browser, DTLS-SRTP; nothing here records or uploads it
// (no recording API is used anywhere), and nothing about the call is stored except {interaction_id, media, at} in
// this tab's sessionStorage while the call runs, so that a reload rejoins.
//
// Used by parley/widget/static/parley/widget/conversation.js (the customer, "polite") and
// parley/interactions/static/parley/inbox.js (the expert, "impolite"). Texts come from the page: text(key, vars).

const STORE_KEY = "parley.call";
const STORE_FRESH_MS = 60_000; // a stored call older than this (tab closed, not reloaded) is not rejoined
const RING_REPEAT_MS = 10_000; // the caller repeats the ring, so a tab opened later rings too
const RING_GIVE_UP_MS = 45_000;
const RING_STALE_MS = 25_000; // a ring not repeated within this was given up
const WAITING_REPEAT_MS = 20_000;
const WAITING_STALE_MS = 50_000;
const PEER_WAIT_MS = 30_000; // after accepting, the other side must show up within this
const PEER_GONE_MS = 45_000; // the other side's socket closed without "leave": wait this long for a rejoin
const DISCONNECTED_RESTART_MS = 3_000;
const FIRST_OFFER_WAIT_MS = 4_000; // the polite side offers itself if the impolite side's first offer does not come
const REJOIN_OFFER_WAIT_MS = 1_500; // after a reload the other side may keep its (stale) connection and not offer
const STATS_MS = 3_000;
const PING_MS = 20_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8_000;
const QUEUE_MAX = 200;
const NOTE_MS = 8_000;
const SVG = "http://www.w3.org/2000/svg";

// --- small helpers ----------------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

const ICONS = {
  video: "M3 6h12a2 2 0 0 1 2 2v1.5l4-2.5v10l-4-2.5V16a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z",
  audio: "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z",
  mic: "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11z",
  screen: "M3 4h18a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1h-7v2h3v2H7v-2h3v-2H3a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zm1 2v9h16V6z",
  hangup: "M12 9c-1.6 0-3.15.25-4.6.72v3.1a1 1 0 0 1-.56.9 11.5 11.5 0 0 0-2.66 1.85 1 1 0 0 1-1.41 0L.29 13.08a1 1 0 0 1 0-1.41A17 17 0 0 1 12 7a17 17 0 0 1 11.71 4.67 1 1 0 0 1 0 1.41l-2.48 2.49a1 1 0 0 1-1.41 0 11.3 11.3 0 0 0-2.67-1.85 1 1 0 0 1-.56-.9v-3.1A15 15 0 0 0 12 9z",
  settings: "M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.3 7.3 0 0 0-1.7-1L15 3h-4l-.4 2.9a7.3 7.3 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.7 1.7 1L11 21h4l.4-2.9c.6-.3 1.2-.6 1.7-1l2.5 1 2-3.5zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z",
};

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

function initials(name) {
  return String(name || "?").split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0].toUpperCase()).join("") || "?";
}

let stylesLoaded = false;
export function loadStyles() {
  // A <link> to our own origin: allowed by the CSP (style-src 'self'), unlike inline styles.
  if (stylesLoaded) return;
  stylesLoaded = true;
  document.head.append(el("link", { rel: "stylesheet", href: new URL("./call.css", import.meta.url).href }));
}

// --- what this browser can do -----------------------------------------------------------------------------------

export function callsSupported() {
  return Boolean(window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.WebSocket);
}

// Screen sharing: desktop browsers only. Phones and tablets (a coarse pointer and no fine one) cannot share their
// screen even where getDisplayMedia is defined, so the button is not shown there.
export function canShareScreen() {
  const md = navigator.mediaDevices;
  if (!md || typeof md.getDisplayMedia !== "function") return false;
  const coarseOnly = window.matchMedia("(pointer: coarse)").matches && !window.matchMedia("(any-pointer: fine)").matches;
  return !coarseOnly;
}

// --- the stored call (sessionStorage: this tab only) ------------------------------------------------------------

function readStore() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    if (!value || typeof value.interaction_id !== "string") return null;
    if (!(Date.now() - Number(value.at || 0) < STORE_FRESH_MS)) return null;
    return { interaction_id: value.interaction_id, media: value.media === "audio" ? "audio" : "video" };
  } catch {
    return null;
  }
}

function writeStore(interactionId, media) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ interaction_id: interactionId, media, at: Date.now() }));
  } catch {
    // no storage: a reload then ends the call for this side
  }
}

function clearStore(interactionId) {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    if (!value || !interactionId || value.interaction_id === interactionId) sessionStorage.removeItem(STORE_KEY);
  } catch {
    // nothing stored
  }
}

// The call this tab takes part in, if any (the portal shows "Return to the call" on its other pages).
export function activeCall() {
  return readStore();
}

// Other tabs of the same person stop ringing once one of them has answered.
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("parley-call") : null;
const handledListeners = new Set();
if (channel) {
  channel.addEventListener("message", (event) => {
    const id = event.data && event.data.handled;
    if (typeof id === "string") handledListeners.forEach((listener) => listener(id));
  });
}

export function onHandledElsewhere(listener) {
  handledListeners.add(listener);
  return () => handledListeners.delete(listener);
}

function announceHandled(interactionId) {
  if (channel) channel.postMessage({ handled: interactionId });
}

// --- the debug hook: the tests read connection statistics, nothing else ----------------------------------------

let currentSession = null;
window.__parleyCall = Object.freeze({
  stats: () => (currentSession ? currentSession.stats() : Promise.resolve(null)),
});

// --- the call socket --------------------------------------------------------------------------------------------

class CallSocket {
  constructor({ url, joinFrame, onFrame, onFatal }) {
    Object.assign(this, { url, joinFrame, onFrame, onFatal });
    this.ws = null;
    this.joined = false;
    this.stopped = true;
    this.attempt = 0;
    this.queue = [];
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    this.joined = false;
    ws.addEventListener("open", () => ws.send(JSON.stringify(this.joinFrame())));
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== "string") return;
      if (frame.type === "joined") {
        this.joined = true;
        this.attempt = 0;
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.raw({ type: "ping", t: Date.now() }), PING_MS);
      }
      this.onFrame(frame);
      if (frame.type === "joined") this.flush();
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      this.ws = null;
      this.joined = false;
      if (this.stopped) return;
      // 4403: not (or no longer) allowed; 4409: this side joined again elsewhere (another tab took the call over).
      if (event.code === 4403 || event.code === 4409) {
        this.stopped = true;
        this.onFatal(event.code);
        return;
      }
      this.retry();
    });
  }

  retry() {
    if (this.stopped) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // Back online: do not wait for the backoff.
  nudge() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  raw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  send(frame) {
    if (this.joined && this.raw(frame)) return;
    if (this.queue.length < QUEUE_MAX) this.queue.push(frame); // sent after the next "joined"
  }

  flush() {
    const queued = this.queue;
    this.queue = [];
    queued.forEach((frame) => this.send(frame));
  }

  stop({ leave = false } = {}) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    if (leave && this.joined && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "leave" }));
    ws.close(1000);
  }
}

// The session id in an SDP's o= line: a fresh RTCPeerConnection (the other side reloaded) has a new one.
function sdpSession(sdp) {
  const match = /^o=\S+ (\d+) /m.exec(sdp || "");
  return match ? match[1] : null;
}

// --- one running call -------------------------------------------------------------------------------------------

class CallSession {
  constructor({ url, joinFrame, media, text, peerName, role, onEnd, onStateChange, interactionId, resumed = false }) {
    Object.assign(this, { url, joinFrame, text, peerName, role, onEnd, onStateChange, interactionId, resumed });
    this.mode = media === "audio" ? "audio" : "video";
    this.polite = role === "customer";
    this.ended = false;
    this.pc = null;
    this.config = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.remoteSession = null;
    this.incoming = Promise.resolve();
    this.localStream = new MediaStream();
    this.mic = null;
    this.camera = null;
    this.screen = null;
    this.muted = false;
    this.audioSender = null;
    this.videoSender = null;
    this.remoteStream = new MediaStream();
    this.remote = { audio: true, video: this.mode === "video", screen: false };
    this.peerPresent = false;
    this.connectedOnce = false;
    this.path = { kind: "", encrypted: false };
    this.panel = this.buildPanel();
    this.socket = new CallSocket({
      url,
      joinFrame,
      onFrame: (frame) => this.onSignal(frame),
      onFatal: (code) => this.end(code === 4409 ? "callElsewhere" : "callFailed", { leave: false }),
    });
    this.mediaReady = this.acquire(this.mode); // asks for camera and microphone now, while the socket joins
  }

  // --- lifecycle ---

  start() {
    currentSession = this;
    writeStore(this.interactionId, this.mode);
    this.socket.start();
    this.peerTimer = setTimeout(() => {
      if (!this.peerPresent) this.end("callFailed", { leave: true });
    }, PEER_WAIT_MS);
    this.statsTimer = setInterval(() => this.tick(), STATS_MS);
    this.onOnline = () => this.socket.nudge();
    window.addEventListener("online", this.onOnline);
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      this.onDeviceChange = () => this.fillDevices();
      navigator.mediaDevices.addEventListener("devicechange", this.onDeviceChange);
    }
    this.render();
  }

  end(reason = "callEnded", { leave = true, vars = {} } = {}) {
    if (this.ended) return;
    this.ended = true;
    if (currentSession === this) currentSession = null;
    clearStore(this.interactionId);
    [this.peerTimer, this.goneTimer, this.restartTimer, this.offerTimer].forEach(clearTimeout);
    clearInterval(this.statsTimer);
    window.removeEventListener("online", this.onOnline);
    if (this.onDeviceChange) navigator.mediaDevices.removeEventListener("devicechange", this.onDeviceChange);
    this.socket.stop({ leave });
    if (this.pc) this.pc.close();
    this.pc = null;
    for (const track of [this.mic, this.camera, this.screen]) if (track) track.stop();
    this.mic = this.camera = this.screen = null;
    this.remoteVideo.srcObject = null;
    this.selfVideo.srcObject = null;
    this.onEnd(reason, vars);
  }

  // --- local media ---

  async acquire(mode) {
    const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } };
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia(mode === "video" ? { audio, video } : { audio });
    } catch {
      if (mode === "video") {
        try {
          stream = await navigator.mediaDevices.getUserMedia({ audio });
          this.showError(this.text("callNoCamera"));
        } catch {
          stream = null;
        }
      }
      if (!stream) this.showError(this.text("callNoMedia"));
    }
    if (this.ended) {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      return;
    }
    if (stream) {
      this.mic = stream.getAudioTracks()[0] || null;
      this.camera = stream.getVideoTracks()[0] || null;
    }
    if (!this.camera && this.mode === "video") this.mode = "audio";
    this.syncLocalStream();
    this.addLocalTracks();
    this.fillDevices();
    this.render();
  }

  videoTrack() {
    return this.screen || this.camera;
  }

  syncLocalStream() {
    for (const track of this.localStream.getTracks()) this.localStream.removeTrack(track);
    if (this.mic) this.localStream.addTrack(this.mic);
    const video = this.videoTrack();
    if (video) this.localStream.addTrack(video);
    if (this.mic) this.mic.enabled = !this.muted;
    this.selfVideo.srcObject = video ? new MediaStream([video]) : null;
  }

  // Tracks go onto the connection once it exists; later changes use replaceTrack (no renegotiation) where a
  // sender of that kind exists, and addTrack (negotiated by the perfect-negotiation handlers) where not.
  addLocalTracks() {
    const pc = this.pc;
    if (!pc || this.awaitingOffer) return;
    if (this.mic && !this.audioSender) this.audioSender = pc.addTrack(this.mic, this.localStream);
    const video = this.videoTrack();
    if (video && !this.videoSender) this.videoSender = pc.addTrack(video, this.localStream);
  }

  async setVideoTrack(track) {
    this.syncLocalStream();
    if (!this.pc) return;
    if (this.videoSender) {
      try {
        await this.videoSender.replaceTrack(track);
      } catch {
        // a closed connection; the rebuild adds the current track
      }
    } else if (track && !this.awaitingOffer) {
      this.videoSender = this.pc.addTrack(track, this.localStream);
    }
    if (this.videoSender && track) this.tune(track === this.screen);
  }

  async tune(screen) {
    // Screens keep their resolution (text must stay readable); the camera is capped at about 1.5 Mbit/s.
    try {
      const parameters = this.videoSender.getParameters();
      if (!parameters.encodings || !parameters.encodings.length) return;
      parameters.encodings[0].maxBitrate = screen ? 2_500_000 : 1_500_000;
      parameters.degradationPreference = screen ? "maintain-resolution" : "balanced";
      await this.videoSender.setParameters(parameters);
    } catch {
      // not supported in this browser: the defaults work too
    }
  }

  async cameraOn(deviceId) {
    if (this.camera) this.camera.stop(); // some cameras cannot be opened twice
    this.camera = null;
    try {
      const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } };
      if (deviceId) video.deviceId = { exact: deviceId };
      const stream = await navigator.mediaDevices.getUserMedia({ video });
      if (this.ended) {
        stream.getTracks().forEach((track) => track.stop());
        return false;
      }
      this.camera = stream.getVideoTracks()[0];
    } catch {
      this.showError(this.text("callNoCamera"));
      return false;
    }
    if (!this.screen) await this.setVideoTrack(this.camera);
    else this.syncLocalStream();
    return true;
  }

  async cameraOff() {
    if (this.camera) this.camera.stop();
    this.camera = null;
    if (!this.screen) await this.setVideoTrack(null);
    else this.syncLocalStream();
  }

  async toggleMute() {
    this.muted = !this.muted;
    if (this.mic) this.mic.enabled = !this.muted;
    this.sendMedia();
    this.render();
  }

  async toggleCamera() {
    if (this.camera) await this.cameraOff();
    else await this.cameraOn(this.deviceChoice("videoinput"));
    this.sendMedia();
    this.render();
  }

  async switchMode(mode) {
    this.mode = mode;
    if (mode === "video") {
      if (!this.camera && !(await this.cameraOn(this.deviceChoice("videoinput")))) this.mode = "audio";
    } else {
      if (this.screen) await this.stopShare({ quiet: true });
      await this.cameraOff();
    }
    writeStore(this.interactionId, this.mode);
    this.sendMedia();
    this.render();
    this.announce(this.text(this.mode === "video" ? "callNowVideo" : "callNowAudio"));
  }

  async toggleShare() {
    if (this.screen) {
      await this.stopShare();
      return;
    }
    let stream;
    try {
      // From the click handler: getDisplayMedia needs the user's gesture. No audio: only the picture is shared.
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch {
      this.showError(this.text("callShareFailed"));
      return;
    }
    if (this.ended) {
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    try {
      track.contentHint = "detail";
    } catch {
      // older browsers
    }
    // The browser's own "Stop sharing" ends the track.
    track.addEventListener("ended", () => {
      if (this.screen === track) this.stopShare();
    });
    this.screen = track;
    await this.setVideoTrack(track);
    this.sendMedia();
    this.render();
    this.announce(this.text("callSharing"));
  }

  async stopShare({ quiet = false } = {}) {
    const track = this.screen;
    if (!track) return;
    this.screen = null;
    track.stop();
    await this.setVideoTrack(this.camera);
    if (quiet) return;
    this.sendMedia();
    this.render();
    this.announce(this.text("callShareStopped"));
  }

  async chooseDevice(kind, deviceId) {
    if (kind === "audioinput") {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: { deviceId: { exact: deviceId }, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
        const track = stream.getAudioTracks()[0];
        const old = this.mic;
        this.mic = track;
        this.syncLocalStream();
        if (this.audioSender) await this.audioSender.replaceTrack(track);
        else this.addLocalTracks();
        if (old) old.stop();
      } catch {
        this.showError(this.text("callNoMedia"));
      }
    } else if (this.camera) {
      await this.cameraOn(deviceId);
    }
    this.fillDevices();
  }

  deviceChoice(kind) {
    const select = kind === "audioinput" ? this.micSelect : this.cameraSelect;
    return select && select.value ? select.value : undefined;
  }

  sendMedia() {
    this.socket.send({ type: "media", audio: Boolean(this.mic) && !this.muted, video: Boolean(this.camera), screen: Boolean(this.screen) });
  }

  // --- the connection: perfect negotiation (customer polite, expert impolite) ---

  buildPeer() {
    if (this.pc) this.pc.close();
    clearTimeout(this.restartTimer);
    clearTimeout(this.offerTimer);
    this.awaitingOffer = false;
    const pc = new RTCPeerConnection({
      iceServers: this.config.iceServers || [],
      iceTransportPolicy: this.config.iceTransportPolicy === "relay" ? "relay" : "all",
    });
    this.pc = pc;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.remoteSession = null;
    this.audioSender = null;
    this.videoSender = null;
    this.remoteStream = new MediaStream();
    this.remoteVideo.srcObject = this.remoteStream;
    this.path = { kind: "", encrypted: false };

    pc.addEventListener("negotiationneeded", async () => {
      if (this.pc !== pc) return;
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        this.socket.send({ type: "description", description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
      } catch {
        // superseded by the other side's offer; perfect negotiation recovers
      } finally {
        this.makingOffer = false;
      }
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (this.pc !== pc || !candidate || !candidate.candidate) return;
      this.socket.send({ type: "candidate", candidate: candidate.toJSON() });
    });
    pc.addEventListener("iceconnectionstatechange", () => {
      if (this.pc !== pc) return;
      const state = pc.iceConnectionState;
      clearTimeout(this.restartTimer);
      if (state === "failed") {
        pc.restartIce(); // fires negotiationneeded: the next offer carries new ICE credentials
      } else if (state === "disconnected" && !this.polite) {
        // Often transient (Wi-Fi roaming); the impolite side alone restarts, so both never restart at once.
        this.restartTimer = setTimeout(() => {
          if (this.pc === pc && pc.iceConnectionState === "disconnected") pc.restartIce();
        }, DISCONNECTED_RESTART_MS);
      }
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc !== pc) return;
      if (pc.connectionState === "connected") {
        this.connectedOnce = true;
        this.tick();
      }
      this.render();
    });
    pc.addEventListener("track", ({ track }) => {
      if (this.pc !== pc) return;
      for (const old of this.remoteStream.getTracks()) {
        if (old.kind === track.kind) this.remoteStream.removeTrack(old);
      }
      this.remoteStream.addTrack(track);
      // A new track in the same stream does not always restart playback.
      this.remoteVideo.srcObject = this.remoteStream;
      this.play();
    });
    // The first offer comes from the impolite side (the expert), with an audio and a video section even where it
    // has nothing to send, so the polite side's tracks always find their place in the answer. The polite side adds
    // its tracks when that offer arrives (or after a while without one). Every later negotiation is symmetric
    // (perfect negotiation); avoiding glare on the very first one also avoids a Chromium case where an answer made
    // right after an implicit rollback gathers no candidates.
    if (this.polite) {
      this.awaitingOffer = true;
      this.offerTimer = setTimeout(() => {
        if (this.pc === pc && this.awaitingOffer) {
          this.awaitingOffer = false;
          this.addLocalTracks();
        }
      }, this.resumed ? REJOIN_OFFER_WAIT_MS : FIRST_OFFER_WAIT_MS);
    } else {
      this.addLocalTracks();
      if (!this.audioSender) pc.addTransceiver("audio", { direction: "recvonly" });
      if (!this.videoSender) pc.addTransceiver("video", { direction: "recvonly" });
    }
    this.render();
  }

  onSignal(frame) {
    switch (frame.type) {
      case "joined":
        this.config = frame;
        this.polite = Boolean(frame.polite);
        if (this.pc) {
          try {
            this.pc.setConfiguration({
              iceServers: frame.iceServers || [],
              iceTransportPolicy: frame.iceTransportPolicy === "relay" ? "relay" : "all",
            });
          } catch {
            // unchanged servers
          }
        }
        this.render();
        break;
      case "peer-joined":
        this.peerPresent = true;
        clearTimeout(this.peerTimer);
        clearTimeout(this.goneTimer);
        this.mediaReady.then(() => {
          if (this.ended) return;
          // A connection that still works is kept (the other side only reconnected its socket); one that does
          // not is rebuilt; a reloaded other side sends an offer of a new session, handled in onDescription.
          if (!this.pc || this.pc.connectionState !== "connected") this.buildPeer();
          this.sendMedia();
        });
        break;
      case "peer-left":
        this.peerPresent = false;
        clearTimeout(this.goneTimer);
        this.goneTimer = setTimeout(() => {
          if (!this.peerPresent && (!this.pc || this.pc.connectionState !== "connected")) this.end("callLost", { leave: true });
        }, PEER_GONE_MS);
        this.render();
        break;
      case "leave":
        this.end("callPeerEnded", { leave: false, vars: { name: this.peerName() } });
        break;
      case "description":
        this.incoming = this.incoming.then(() => this.onDescription(frame.description)).catch(() => {});
        break;
      case "candidate":
        this.incoming = this.incoming.then(() => this.onCandidate(frame.candidate)).catch(() => {});
        break;
      case "media":
        this.remote = { audio: Boolean(frame.audio), video: Boolean(frame.video), screen: Boolean(frame.screen) };
        this.render();
        break;
      default:
        break; // pong, error (the close that follows says what to do)
    }
  }

  async onDescription(description) {
    if (!description || this.ended) return;
    await this.mediaReady;
    if (this.ended) return;
    const session = sdpSession(description.sdp);
    if (description.type === "offer") {
      // The other side has a new connection (it reloaded): start afresh and take its offer.
      if (!this.pc || (this.remoteSession && session && session !== this.remoteSession)) this.buildPeer();
    }
    const pc = this.pc;
    if (!pc) return;
    const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    if (description.type === "answer" && pc.signalingState !== "have-local-offer") return; // a stale answer
    await pc.setRemoteDescription(description); // the polite side's own offer is rolled back implicitly
    if (session) this.remoteSession = session;
    if (description.type === "offer" && this.awaitingOffer) {
      // The first offer: our tracks take the transceivers it created, and go out with the answer.
      this.awaitingOffer = false;
      clearTimeout(this.offerTimer);
      this.addLocalTracks();
    }
    if (description.type === "offer") {
      await pc.setLocalDescription();
      this.socket.send({ type: "description", description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
    }
  }

  async onCandidate(candidate) {
    if (!candidate || !this.pc || this.ended) return;
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      // candidates of an offer we ignored, or of a connection we replaced
    }
  }

  // --- statistics: how the call is connected ---

  async tick() {
    if (this.ended) return;
    writeStore(this.interactionId, this.mode); // still running: a reload now rejoins
    const summary = await this.stats();
    if (!summary || this.ended) return;
    this.path = { kind: summary.path || "", encrypted: summary.dtls === "connected" };
    this.render();
  }

  async stats() {
    const pc = this.pc;
    const base = {
      role: this.role,
      mode: this.mode,
      connectionState: pc ? pc.connectionState : "new",
      signalingState: pc ? pc.signalingState : "stable",
      iceConnectionState: pc ? pc.iceConnectionState : "new",
      sending: { audio: Boolean(this.mic) && !this.muted, video: Boolean(this.camera), screen: Boolean(this.screen) },
      sentVideoLabel: this.videoSender && this.videoSender.track ? this.videoSender.track.label : "",
      remote: { ...this.remote },
      path: null,
      localCandidateType: null,
      remoteCandidateType: null,
      dtls: null,
      framesDecoded: 0,
      frameWidth: 0,
      audioPacketsReceived: 0,
      audioBytesReceived: 0,
    };
    if (!pc) return base;
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return base;
    }
    let transport = null;
    const pairs = [];
    report.forEach((entry) => {
      if (entry.type === "transport") transport = transport || entry;
      else if (entry.type === "candidate-pair") pairs.push(entry);
      else if (entry.type === "inbound-rtp" && entry.kind === "video") {
        base.framesDecoded += entry.framesDecoded || 0;
        base.frameWidth = Math.max(base.frameWidth, entry.frameWidth || 0);
      } else if (entry.type === "inbound-rtp" && entry.kind === "audio") {
        base.audioPacketsReceived += entry.packetsReceived || 0;
        base.audioBytesReceived += entry.bytesReceived || 0;
      }
    });
    const pair = (transport && transport.selectedCandidatePairId && report.get(transport.selectedCandidatePairId)) ||
      pairs.find((entry) => entry.selected) ||
      pairs.find((entry) => entry.nominated && entry.state === "succeeded");
    if (pair) {
      const local = report.get(pair.localCandidateId);
      const remote = report.get(pair.remoteCandidateId);
      base.localCandidateType = local ? local.candidateType : null;
      base.remoteCandidateType = remote ? remote.candidateType : null;
      base.path = base.localCandidateType === "relay" || base.remoteCandidateType === "relay" ? "relay" : "direct";
    }
    base.dtls = transport ? transport.dtlsState || null : null;
    return base;
  }

  // --- the panel ---

  buildPanel() {
    const text = this.text;
    const toggle = (name, label, onclick) =>
      el("button", { type: "button", class: "call-btn", "aria-pressed": "false", onclick }, icon(name), el("span", { class: "call-label" }, label));
    const action = (name, label, onclick, extra = "") =>
      el("button", { type: "button", class: `call-btn ${extra}`.trim(), onclick }, icon(name), el("span", { class: "call-label" }, label));

    this.title = el("h2", { class: "call-title", id: `call-title-${this.interactionId}`, tabindex: "-1" });
    this.status = el("p", { class: "call-status", role: "status" });
    this.remoteVideo = el("video", { class: "call-remote", autoplay: true, playsinline: true });
    this.remoteVideo.addEventListener("loadedmetadata", () => this.play());
    this.selfVideo = el("video", { class: "call-self", autoplay: true, playsinline: true, muted: true });
    this.selfVideo.muted = true; // the attribute alone does not mute
    this.placeholderName = el("span", { class: "call-placeholder-text" });
    this.placeholderAvatar = el("span", { class: "call-avatar", "aria-hidden": "true" });
    this.placeholder = el("div", { class: "call-placeholder" }, this.placeholderAvatar, this.placeholderName);
    this.stage = el("div", { class: "call-stage" }, this.remoteVideo, this.placeholder, this.selfVideo);
    this.soundButton = el("button", { type: "button", class: "call-sound", hidden: true, onclick: () => this.play(true) }, text("callPlaySound"));
    this.pathDirect = el("span", { class: "call-path-kind" });
    this.pathEncrypted = el("span", { class: "call-path-crypto" });
    this.pathLine = el("p", { class: "call-path" }, this.pathDirect, this.pathEncrypted);

    this.muteButton = toggle("mic", text("callMute"), () => this.toggleMute());
    this.cameraButton = toggle("video", text("callCameraOff"), () => this.toggleCamera());
    this.toVideoButton = action("video", text("callToVideo"), () => this.switchMode("video"));
    this.toAudioButton = action("audio", text("callToAudio"), () => this.switchMode("audio"));
    this.shareButton = canShareScreen() ? toggle("screen", text("callShare"), () => this.toggleShare()) : null;
    this.hangUpButton = action("hangup", text("callHangUp"), () => this.end("callEnded", { leave: true }), "call-hangup");

    this.micSelect = el("select", { id: `call-mic-${this.interactionId}`, onchange: () => this.chooseDevice("audioinput", this.micSelect.value) });
    this.cameraSelect = el("select", { id: `call-cam-${this.interactionId}`, onchange: () => this.chooseDevice("videoinput", this.cameraSelect.value) });
    this.devices = el("div", { class: "call-devices", id: `call-devices-${this.interactionId}`, hidden: true },
      el("div", { class: "call-device" }, el("label", { for: this.micSelect.id }, text("callMicrophone")), this.micSelect),
      el("div", { class: "call-device" }, el("label", { for: this.cameraSelect.id }, text("callCamera")), this.cameraSelect),
    );
    this.devicesButton = el("button", {
      type: "button", class: "call-btn", "aria-expanded": "false", "aria-controls": this.devices.id,
      onclick: () => {
        const open = this.devices.hidden;
        this.devices.hidden = !open;
        this.devicesButton.setAttribute("aria-expanded", String(open));
        if (open) this.fillDevices();
      },
    }, icon("settings"), el("span", { class: "call-label" }, text("callDevices")));
    this.controls = el("div", { class: "call-controls", role: "group", "aria-label": text("callControls") },
      this.muteButton, this.cameraButton, this.toVideoButton, this.toAudioButton, this.shareButton, this.devicesButton,
      this.hangUpButton);
    this.error = el("p", { class: "call-error", role: "alert" });
    this.sharingNote = el("p", { class: "call-sharing", hidden: true }, text("callSharing"));
    this.announcer = el("p", { class: "call-sr", role: "status", "aria-live": "polite" });

    return el("section", { class: "call", "aria-labelledby": this.title.id },
      el("div", { class: "call-head" }, this.title, this.status),
      this.stage, this.soundButton, this.pathLine, this.sharingNote, this.controls, this.devices, this.error, this.announcer);
  }

  async fillDevices() {
    if (!navigator.mediaDevices.enumerateDevices || this.ended) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const fill = (select, kind, track) => {
      const current = track ? track.getSettings().deviceId : select.value;
      const options = devices
        .filter((device) => device.kind === kind && device.deviceId)
        .map((device, index) => el("option", { value: device.deviceId }, device.label || `${kind === "audioinput" ? this.text("callMicrophone") : this.text("callCamera")} ${index + 1}`));
      select.replaceChildren(...options);
      if (current && options.some((option) => option.value === current)) select.value = current;
      select.disabled = options.length < 2;
    };
    fill(this.micSelect, "audioinput", this.mic);
    fill(this.cameraSelect, "videoinput", this.camera);
  }

  play(asked = false) {
    const attempt = this.remoteVideo.play();
    if (!attempt || !attempt.then) return;
    attempt.then(
      () => {
        this.soundButton.hidden = true;
      },
      () => {
        // Autoplay with sound refused until the person interacts with the page: offer a button.
        if (!this.ended && this.remoteStream.getTracks().length) this.soundButton.hidden = asked;
      },
    );
  }

  announce(message) {
    this.announcer.textContent = "";
    setTimeout(() => {
      this.announcer.textContent = message;
    }, 50);
  }

  showError(message) {
    this.error.textContent = message;
  }

  focus() {
    this.title.focus();
  }

  render() {
    if (this.ended) return;
    const name = this.peerName();
    const text = this.text;
    this.title.textContent = text(this.mode === "video" ? "callVideoWith" : "callAudioWith", { name });
    const state = this.pc ? this.pc.connectionState : "new";
    let status;
    if (!this.peerPresent && this.connectedOnce) status = text("callPeerGone", { name });
    else if (!this.peerPresent) status = text("callWaitingForPeer", { name });
    else if (state === "connected") status = text("callConnected");
    else if (state === "disconnected" || state === "failed") status = text("callReconnecting");
    else status = text("callConnecting");
    if (this.status.textContent !== status) this.status.textContent = status;

    // The picture: the other side's video or screen, else their initials.
    const remoteShows = this.remote.video || this.remote.screen;
    const selfShows = Boolean(this.videoTrack());
    const visual = remoteShows || selfShows || this.mode === "video";
    this.stage.classList.toggle("is-audio", !visual);
    this.stage.classList.toggle("is-screen", this.remote.screen);
    this.remoteVideo.classList.toggle("is-off", !remoteShows);
    this.selfVideo.hidden = !selfShows;
    this.placeholder.hidden = remoteShows;
    this.placeholderAvatar.textContent = initials(name);
    if (remoteShows) this.placeholderName.textContent = "";
    else this.placeholderName.textContent = text(visual ? "callPeerCameraOff" : "callAudioOnly", { name });
    this.remoteVideo.setAttribute("aria-label", text(this.remote.screen ? "callPeerScreen" : "callPeerVideo", { name }));
    this.selfVideo.setAttribute("aria-label", text(this.screen ? "callYourScreen" : "callYourVideo"));

    // How it is connected (from getStats every 3 s).
    this.pathDirect.textContent = this.path.kind === "relay" ? text("callRelayed") : this.path.kind === "direct" ? text("callDirect") : "";
    this.pathEncrypted.textContent = this.path.encrypted ? text("callEncrypted") : "";
    this.pathLine.hidden = !this.path.kind && !this.path.encrypted;

    this.muteButton.setAttribute("aria-pressed", String(this.muted));
    this.muteButton.disabled = !this.mic;
    this.cameraButton.hidden = this.mode !== "video";
    this.cameraButton.setAttribute("aria-pressed", String(!this.camera));
    this.toVideoButton.hidden = this.mode === "video";
    this.toAudioButton.hidden = this.mode !== "video";
    if (this.shareButton) this.shareButton.setAttribute("aria-pressed", String(Boolean(this.screen)));
    this.sharingNote.hidden = !this.screen;
    if (this.onStateChange) this.onStateChange();
  }
}

// --- ringing, waiting and the call's life in one conversation --------------------------------------------------

// createCallController({...}) → {bar, area, onChatFrame(frame), setAvailable(bool), resume(), waitingRoom(),
// acceptNow(media), destroy()}. The host page puts `bar` (the start buttons) and `area` (ring boxes and the call
// panel) where it wants them.
//   role: "customer" | "expert"; interactionId; socketUrl: the call socket's path; joinFrame(): {type:"join", ...}
//   sendCall(action, media): sends {type:"call", action, media} over the chat socket, false while it is down
//   text(key, vars); peerName(); ring(): a sound per ring (optional); onActiveChange(active) (optional)
export function createCallController(options) {
  loadStyles();
  const { role, interactionId, text } = options;
  const supported = callsSupported();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}${options.socketUrl}`;
  let state = "idle"; // idle | outgoing | incoming | waiting (the customer in the waiting room) | active
  let media = "video";
  let incomingKind = "ring"; // ring | waiting (the expert sees a customer waiting)
  let session = null;
  let available = true;
  let timers = [];
  let noteTimer = null;
  let pendingAccept = null;
  let pendingWaiting = false;

  const videoButton = el("button", { type: "button", class: "call-start", onclick: () => call("video") }, icon("video"), el("span", {}, text("callVideo")));
  const audioButton = el("button", { type: "button", class: "call-start", onclick: () => call("audio") }, icon("audio"), el("span", {}, text("callAudio")));
  const bar = el("div", { class: "call-bar", role: "group", "aria-label": text("callStart") }, videoButton, audioButton);
  const note = el("p", { class: "call-note", role: "status" });
  const area = el("div", { class: "call-area" }, note);

  const unlisten = onHandledElsewhere((id) => {
    if (id === interactionId && state === "incoming") idle("");
  });

  function clearTimers() {
    timers.forEach((timer) => {
      clearTimeout(timer);
      clearInterval(timer);
    });
    timers = [];
  }

  function showNote(message) {
    clearTimeout(noteTimer);
    note.textContent = message;
    if (message) noteTimer = setTimeout(() => { note.textContent = ""; }, NOTE_MS);
  }

  function renderBar() {
    bar.hidden = !supported || !available || state !== "idle";
  }

  function setBox(node) {
    for (const child of [...area.children]) if (child !== note) child.remove();
    if (node) area.append(node);
    if (options.onActiveChange) options.onActiveChange(state === "active");
  }

  function focusInside(node) {
    return node && node.contains(document.activeElement);
  }

  // Do not pull focus away from someone typing a message.
  function typing() {
    const active = document.activeElement;
    return Boolean(active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT") && active.value);
  }

  function idle(message) {
    const hadFocus = focusInside(area) || focusInside(bar) || document.activeElement === document.body;
    clearTimers();
    state = "idle";
    session = null;
    setBox(null);
    renderBar();
    showNote(message);
    if (hadFocus && !bar.hidden) videoButton.focus();
  }

  // --- outgoing ---

  function call(kind) {
    if (state !== "idle") return;
    media = kind;
    if (!options.sendCall("ring", media)) {
      showNote(text("callUnavailable"));
      return;
    }
    state = "outgoing";
    renderBar();
    showNote("");
    const cancel = el("button", { type: "button", class: "call-btn call-hangup", onclick: () => {
      options.sendCall("cancel", media);
      idle(text("callCancelled"));
    } }, icon("hangup"), el("span", { class: "call-label" }, text("callCancel")));
    const box = el("div", { class: "call-ring is-outgoing" },
      el("p", { class: "call-ring-text", role: "status" }, text(media === "video" ? "callCallingVideo" : "callCallingAudio", { name: options.peerName() })),
      el("div", { class: "call-ring-actions" }, cancel));
    setBox(box);
    cancel.focus();
    timers.push(setInterval(() => options.sendCall("ring", media), RING_REPEAT_MS));
    timers.push(setTimeout(() => {
      options.sendCall("cancel", media);
      idle(text("callNoAnswer", { name: options.peerName() }));
    }, RING_GIVE_UP_MS));
  }

  // --- incoming (a ring, or for the expert a customer waiting to be let in) ---

  function incoming(kind, frameMedia, frame) {
    const fresh = state !== "incoming";
    state = "incoming";
    incomingKind = kind;
    media = frameMedia;
    renderBar();
    clearTimers();
    timers.push(setTimeout(() => idle(text(kind === "waiting" ? "callWaitingGone" : "callMissed", { name: options.peerName(frame) })),
      kind === "waiting" ? WAITING_STALE_MS : RING_STALE_MS));
    if (options.ring) {
      options.ring(kind, fresh);
      if (kind === "ring") timers.push(setInterval(() => options.ring(kind, false), 2_000));
    }
    if (!fresh) return;
    const name = options.peerName(frame);
    const accept = el("button", { type: "button", class: "call-btn call-accept", onclick: () => acceptNow(media) },
      icon(media === "video" ? "video" : "audio"), el("span", { class: "call-label" }, text(kind === "waiting" ? "callLetIn" : "callAccept")));
    const decline = kind === "waiting" ? null : el("button", { type: "button", class: "call-btn call-hangup", onclick: () => {
      options.sendCall("decline", media);
      announceHandled(interactionId);
      idle("");
    } }, icon("hangup"), el("span", { class: "call-label" }, text("callDecline")));
    const message = kind === "waiting"
      ? text("callPeerWaiting", { name })
      : text(media === "video" ? "callIncomingVideo" : "callIncomingAudio", { name });
    const box = el("div", { class: "call-ring is-incoming" },
      el("p", { class: "call-ring-text", role: "alert" }, message),
      el("div", { class: "call-ring-actions" }, accept, decline));
    setBox(box);
    if (!typing()) accept.focus();
  }

  // --- the customer's waiting room (appointment link) ---

  function waitingRoom() {
    if (state !== "idle" || !supported) return;
    state = "waiting";
    media = "video";
    renderBar();
    const leave = el("button", { type: "button", class: "call-btn call-hangup", onclick: () => {
      options.sendCall("cancel", media);
      idle("");
    } }, icon("hangup"), el("span", { class: "call-label" }, text("callLeaveWaiting")));
    const box = el("div", { class: "call-ring is-waiting" },
      el("p", { class: "call-ring-text", role: "status" }, text("callWaitingRoom", { name: options.peerName() })),
      el("div", { class: "call-ring-actions" }, leave));
    setBox(box);
    const say = () => options.sendCall("waiting", media);
    if (!say()) pendingWaiting = true;
    timers.push(setInterval(say, WAITING_REPEAT_MS));
    if (!typing()) leave.focus();
  }

  // --- the call ---

  function acceptNow(kind) {
    if (state === "active") return;
    media = kind === "audio" ? "audio" : "video";
    if (!options.sendCall("accept", media)) {
      pendingAccept = media; // the chat socket is not ready yet (a page just opened from a ring): soon
      return;
    }
    announceHandled(interactionId);
    activate(media, true);
  }

  function activate(kind, focus, resumed = false) {
    clearTimers();
    state = "active";
    renderBar();
    showNote("");
    session = new CallSession({
      url,
      joinFrame: options.joinFrame,
      media: kind,
      text,
      role,
      interactionId,
      resumed,
      peerName: () => options.peerName(),
      onEnd: (reason, vars) => {
        if (reason !== "callElsewhere" && reason !== "callPeerEnded" && reason !== "callLost" && options.sendCall) {
          options.sendCall("cancel", kind); // stops the other side even if its call socket never joined
        }
        idle(text(reason, vars));
      },
    });
    setBox(session.panel);
    session.start();
    if (focus) session.focus();
  }

  function onChatFrame(frame) {
    if (!supported || !frame || frame.sender === role) return; // a browser without WebRTC lets the call go unanswered
    if (frame.interaction_id && frame.interaction_id !== interactionId) return;
    const kind = frame.media === "audio" ? "audio" : "video";
    switch (frame.action) {
      case "ring":
        if (state === "idle" || state === "incoming") incoming("ring", kind, frame);
        else if (state === "outgoing") acceptNow(media); // both called at once: take it
        else if (state === "waiting") acceptNow("video");
        break;
      case "waiting":
        if (role === "expert" && (state === "idle" || state === "incoming")) incoming("waiting", "video", frame);
        break;
      case "accept":
        if (state === "outgoing" || state === "waiting") activate(media, true);
        break;
      case "decline":
        if (state === "outgoing") idle(text("callDeclined", { name: options.peerName() }));
        else if (state === "waiting") idle(text("callDeclined", { name: options.peerName() }));
        break;
      case "cancel":
        if (state === "incoming") idle(text(incomingKind === "waiting" ? "callWaitingGone" : "callMissed", { name: options.peerName(frame) }));
        else if (state === "active" && session) session.end("callPeerEnded", { leave: false, vars: { name: options.peerName() } });
        break;
      default:
        break;
    }
  }

  renderBar();
  return {
    bar,
    area,
    onChatFrame,
    // The chat socket is (again) ready: say what could not be said while it was down.
    chatReady() {
      if (pendingAccept) {
        const kind = pendingAccept;
        pendingAccept = null;
        acceptNow(kind);
      }
      if (pendingWaiting && state === "waiting") {
        pendingWaiting = false;
        options.sendCall("waiting", media);
      }
    },
    setAvailable(value) {
      available = Boolean(value);
      renderBar();
    },
    // After a reload: rejoin the call this tab was in.
    resume() {
      const stored = readStore();
      if (!supported || !stored || stored.interaction_id !== interactionId || state !== "idle") return false;
      activate(stored.media, false, true);
      return true;
    },
    waitingRoom,
    acceptNow,
    get state() {
      return state;
    },
    destroy() {
      unlisten();
      if (session) session.end("callEnded", { leave: true });
      clearTimers();
    },
  };
}
