// A local fake of api.telegram.org's sendMessage, speaking the Bot API wire format:
// POST /bot<token>/sendMessage with JSON {chat_id, text}; 200 {ok:true,result:{message_id,from,chat,
// date,text}}, or {ok:false,error_code,description} with parameters.retry_after on 429.
// Per-test scenarios: a refused token (401), rate limiting (429), server errors (500), slow answers.
import http from 'node:http';
import { LocalHttpFake } from './local-http.js';

/** What the fake does; every field optional, set per test through `server.scenario`. */
export interface FakeTelegramScenario {
  /** Answer the first `requests` requests with this failure (Infinity for always). */
  fail?: { status: 401 | 429 | 500; requests: number; retryAfterS?: number };
  /** Wait this long before answering. */
  delayMs?: number;
}

/** A message the fake accepted. */
export interface ReceivedMessage {
  chat_id: string | number;
  text: string;
  message_id: number;
}

/** One request as the fake saw it; the token is never kept, only whether it was right. */
export interface TelegramRequest {
  path: string;
  tokenOk: boolean;
  status: number;
}

const SEND = /^\/bot([^/]+)\/sendMessage$/;

/** The fake server: start(), point telegram.api_base at `baseUrl`, set `scenario`, stop(). */
export class FakeTelegramServer extends LocalHttpFake {
  protected readonly label = 'Telegram';
  readonly messages: ReceivedMessage[] = [];
  readonly requests: TelegramRequest[] = [];
  private current: FakeTelegramScenario = {};
  private counter = 0;
  private nextId = 1;

  constructor(readonly token = '123456:TEST-token-abcdef') {
    super();
  }

  /** The scenario in force; setting one restarts its request count. */
  get scenario(): FakeTelegramScenario {
    return this.current;
  }
  set scenario(s: FakeTelegramScenario) {
    this.current = s;
    this.counter = 0;
  }



  /** Resolve once `n` messages have been accepted (or reject after `ms`). */
  async waitForMessages(n: number, ms = 5_000): Promise<ReceivedMessage[]> {
    const until = Date.now() + ms;
    while (this.messages.length < n) {
      if (Date.now() > until) throw new Error(`expected ${n} message(s), got ${this.messages.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.messages;
  }


  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const m = SEND.exec(path);
      const rec: TelegramRequest = { path: path.replace(m?.[1] ?? '\u0000', '<token>'), tokenOk: m?.[1] === this.token, status: 0 };
      this.requests.push(rec);
      const n = ++this.counter;
      const answer = () => {
        if (res.destroyed) return;
        const { status, body } = this.respond(req.method ?? 'GET', m !== null, rec.tokenOk, n, Buffer.concat(chunks).toString('utf8'));
        rec.status = status;
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const delay = this.scenario.delayMs ?? 0;
      if (delay <= 0) return answer();
      const t = setTimeout(() => {
        this.timers.delete(t);
        answer();
      }, delay);
      this.timers.add(t);
    });
  }

  private respond(method: string, isSend: boolean, tokenOk: boolean, n: number, raw: string): { status: number; body: object } {
    const err = (status: number, description: string, extra: object = {}) => ({ status, body: { ok: false, error_code: status, description, ...extra } });
    if (!isSend) return err(404, 'Not Found');
    const f = this.scenario.fail;
    if (!tokenOk || (f?.status === 401 && n <= f.requests)) return err(401, 'Unauthorized');
    if (f && n <= f.requests) {
      if (f.status === 429) return err(429, `Too Many Requests: retry after ${f.retryAfterS ?? 1}`, { parameters: { retry_after: f.retryAfterS ?? 1 } });
      return err(500, 'Internal Server Error');
    }
    if (method !== 'POST') return err(400, 'Bad Request: method must be POST');
    let msg: { chat_id?: string | number; text?: string };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return err(400, "Bad Request: can't parse JSON object");
    }
    if (msg.chat_id === undefined || msg.chat_id === '') return err(400, 'Bad Request: chat_id is empty');
    if (typeof msg.text !== 'string' || msg.text === '') return err(400, 'Bad Request: message text is empty');
    if (msg.text.length > 4096) return err(400, 'Bad Request: message is too long');
    const message_id = this.nextId++;
    this.messages.push({ chat_id: msg.chat_id, text: msg.text, message_id });
    return {
      status: 200,
      body: { ok: true, result: { message_id, from: { id: 123456, is_bot: true, first_name: 'kobe', username: 'kobe_test_bot' }, chat: { id: Number(msg.chat_id) || 0, type: 'private' }, date: Math.floor(Date.now() / 1000), text: msg.text } },
    };
  }
}
