// The live feed: one WebSocket (/ws?token=..., docs/websocket.md) for the
// whole page, watching the tenant's events (and log lines, and the once-a-
// second stats frames) from the moment the page signed in. Views subscribe
// with on(type, fn) and unsubscribe with the function it returns. A dropped
// connection is reopened with exponential backoff (1 s doubling to 30 s) and
// the watch resumes after the last event id seen, so no event is missed.
import { session } from './session.js';

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;

class LiveFeed {
  constructor() {
    this.socket = null;
    this.handlers = { event: new Set(), log: new Set(), stats: new Set(), state: new Set() };
    this.since = 0;
    this.backoff = MIN_BACKOFF_MS;
    this.retry = null;
    this.running = false;
    this.state = 'off';
    this.nextId = 1;
  }

  // Starts watching after event `since` (GET /health's `events`: only new ones).
  start(since) {
    this.stop();
    this.since = since;
    this.running = true;
    this.backoff = MIN_BACKOFF_MS;
    this.open();
  }

  stop() {
    this.running = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000);
      this.socket = null;
    }
    this.setState('off');
  }

  on(type, handler) {
    this.handlers[type].add(handler);
    return () => this.handlers[type].delete(handler);
  }

  emit(type, payload) {
    for (const handler of this.handlers[type]) handler(payload);
  }

  setState(state) {
    this.state = state;
    this.emit('state', state);
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // The admin watches the tenant it acts for (not every tenant's events).
    const tenant = session.admin ? `&tenant=${encodeURIComponent(session.shownTenant)}` : '';
    const socket = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(session.token)}${tenant}`);
    this.socket = socket;
    this.setState('connecting');
    socket.onopen = () => {
      const args = { since: this.since, stats: true };
      if (session.can('logs')) args.logs = true;
      socket.send(JSON.stringify({ id: this.nextId++, op: 'watch', args }));
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = () => {
      this.socket = null;
      if (!this.running) return;
      this.setState('reconnecting');
      this.retry = setTimeout(() => this.open(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    };
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.event) {
      if (typeof frame.event.id === 'number' && frame.event.id > this.since) this.since = frame.event.id;
      this.emit('event', frame.event);
    } else if (frame.log) {
      this.emit('log', frame.log);
    } else if (frame.type === 'stats' && Array.isArray(frame.services)) {
      this.emit('stats', { at: performance.now() / 1000, services: frame.services });
    } else if (frame.ok === true && frame.result && frame.result.watching) {
      this.backoff = MIN_BACKOFF_MS;
      this.setState('live');
    } else if (frame.ok === false) {
      // The watch was refused (a token without `events`): no retry loop.
      this.running = false;
      this.setState(frame.error && frame.error.status === 403 ? 'forbidden' : 'error');
      if (this.socket) this.socket.close(1000);
    }
  }
}

export const live = new LiveFeed();
