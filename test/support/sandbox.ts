import type { LocalHost } from '../../local/host.js';
import type { SandboxState, UserView } from '../../local/sandbox/plivo.js';
import type { TimelineEntry } from '../../local/sandbox/timeline.js';

/** A JSON request to the local host; the answer's status and parsed body. */
export const request = async (
  host: LocalHost,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> & Record<string, never> }> => {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
};

export const userPath = (user: string, action = '') =>
  `/_sandbox/users/${encodeURIComponent(user)}${action ? `/${action}` : ''}`;

export const sandboxState = async (host: LocalHost): Promise<SandboxState> =>
  (await request(host, 'GET', '/_sandbox/state')).body as unknown as SandboxState;

export const sandboxUser = async (host: LocalHost, user: string): Promise<UserView> =>
  (await request(host, 'GET', userPath(user))).body as unknown as UserView;

export const timeline = async (host: LocalHost, after?: number): Promise<TimelineEntry[]> =>
  (
    (
      await request(
        host,
        'GET',
        `/_sandbox/timeline${after === undefined ? '' : `?after=${after}`}`,
      )
    ).body as unknown as { entries: TimelineEntry[] }
  ).entries;

/** Polls `check` until it returns a value (not undefined or false), or fails after `timeoutMs`. */
export const eventually = async <T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** Waits until the call's hangup callback has been answered (the sandbox's last request of a call). */
export const callEnded = (host: LocalHost, callUuid: string) =>
  eventually(
    async () =>
      (await timeline(host)).find(
        (e) =>
          e.kind === 'webhook' &&
          e.callUuid === callUuid &&
          e.request?.url.includes('/plivo/whatsapp/hangup') &&
          e.response !== undefined,
      ),
    `the hangup of ${callUuid}`,
  );
