// The sandbox page: drives the simulated WhatsApp users, the agents and the clock, and shows
// callgate's view of each permission and the timeline of what went over the wire.

import { readableDuration, readableIsoDuration } from './format.js';

const sandbox = new URL('./', import.meta.url);
const pollMs = 1000;
const timelineKept = 2000;
const tokenKey = 'callgate.sandbox.apiToken';

const permissionReplies = ['ask', 'accept', 'accept-permanently', 'reject'];
const callBehaviours = ['ask', 'answer', 'miss', 'busy'];
const actionNames = {
  send_call_permission_request: 'Request permission',
  start_call: 'Place call',
};
const statusWords = {
  200: 'ok',
  201: 'created',
  202: 'accepted',
  204: 'no content',
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  422: 'unprocessable',
  429: 'too many requests',
  500: 'server error',
  502: 'bad gateway',
  503: 'unavailable',
};

const byId = (id) => document.getElementById(id);
const live = byId('live');
const tokenInput = byId('api-token');
const usersBox = byId('users');
const timelineList = byId('timeline');
const timelineFilter = byId('timeline-filter');

/** Builds an element; strings become text nodes, so server text never turns into markup. */
const h = (tag, attributes = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.filter((child) => child !== undefined && child !== null));
  return element;
};

const sandboxUrl = (path) => new URL(path, sandbox).href;
const userUrl = (user, action) =>
  sandboxUrl(`users/${encodeURIComponent(user)}${action ? `/${action}` : ''}`);

const request = async (method, url, body) => {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = tokenInput.value.trim();
  if (token && url.startsWith('/v1/')) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, {
    method,
    headers,
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  return { status: response.status, ok: response.ok, statusText: response.statusText, data };
};

const truncate = (text, length = 160) =>
  text.length > length ? `${text.slice(0, length - 1)}…` : text;

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `code — message (retry in …)` of a refusal; `retryAfter` is in seconds. */
const refusal = (data) => {
  const retry =
    typeof data.retryAfter === 'number' ? readableDuration(data.retryAfter) : data.retryAfter;
  return `${data.error}${data.message ? ` — ${data.message}` : ''}${retry ? ` (retry in ${retry})` : ''}`;
};

/** A few `key value` pairs of a JSON body: enough to see what happened without the whole body. */
const summarize = (data) => {
  if (data === null || data === undefined) return '';
  if (!isObject(data)) return truncate(typeof data === 'string' ? data : JSON.stringify(data));
  // The permission reply answers what callgate answered the simulated Meta webhook.
  if (typeof data.status === 'number' && 'body' in data) {
    const inner = isObject(data.body) && typeof data.body.error === 'string' ? refusal : summarize;
    const said = inner(data.body);
    return `callgate answered ${data.status}${said ? `: ${said}` : ''}`;
  }
  const pairs = [];
  const walk = (value, prefix) => {
    for (const [key, item] of Object.entries(value)) {
      if (isObject(item) && !prefix) walk(item, `${key}.`);
      else if (item === null || typeof item !== 'object') pairs.push(`${prefix}${key} ${item}`);
    }
  };
  walk(data, '');
  return truncate(pairs.slice(0, 5).join(', '));
};

/** One line for an HTTP result: `Place call: 429 daily_call_limit — … (retry after …)`. */
const describe = (label, response, summary = summarize) => {
  const { status, data } = response;
  if (isObject(data) && typeof data.error === 'string')
    return `${label}: ${status} ${refusal(data)}`;
  const word = statusWords[status] ?? response.statusText.toLowerCase();
  const said = summary(data);
  return `${label}: ${status}${word ? ` ${word}` : ''}${said ? ` — ${said}` : ''}`;
};

const formatLocal = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
};

const formatInZone = (iso, timeZone) => {
  try {
    return new Date(iso).toLocaleString(undefined, {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
  } catch {
    return '';
  }
};

/** Sandbox times are UTC instants; the entry list shows them compactly. */
const formatSandboxTime = (iso) =>
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : iso;

// ---- results ----------------------------------------------------------------------------------

const announce = (text) => {
  live.textContent = text;
};

/** The result of an action outside any user card (clock, reset, agents, adding a user). */
const pageResult = h('p', { class: 'result', id: 'page-result', 'data-page-result': '' });
document.querySelector('.clock').after(pageResult);

// An action's result is shown right after the group of controls that started it, wherever the page's
// columns put that group: the control is the one the person just clicked, changed or submitted.
let origin = null;
for (const type of ['click', 'change', 'submit', 'keydown']) {
  document.addEventListener(
    type,
    (event) => {
      if (type === 'keydown' && event.key !== 'Enter') return;
      origin = event.target instanceof Element ? event.target : null;
      setTimeout(() => {
        origin = null;
      });
    },
    true,
  );
}

const placeResult = (result, started, within) => {
  const anchor = started?.closest('[data-result-after]');
  if (anchor && within.contains(anchor) && anchor.nextElementSibling !== result)
    anchor.after(result);
};

const showResult = (result, line, status, ok = typeof status === 'number' && status < 400) => {
  result.textContent = line;
  result.dataset.status = String(status);
  result.dataset.ok = String(ok);
};

const report = (card, line, status, started = origin) => {
  if (card) {
    card.placed = null;
    delete card.result.dataset.outcome;
    placeResult(card.result, started, card.element);
    showResult(card.result, line, status);
    announce(`${card.number}: ${line}`);
  } else {
    placeResult(pageResult, started, document.body);
    showResult(pageResult, line, status);
    announce(line);
  }
};

/** Runs one action, reports its HTTP result, and refreshes everything it may have changed. */
const act = async (card, label, method, url, body, summary) => {
  const started = origin;
  let line;
  let status = 'error';
  let data;
  try {
    const response = await request(method, url, body);
    status = response.status;
    data = response.data;
    line = describe(label, response, summary);
  } catch (error) {
    line = `${label}: network error — ${error instanceof Error ? error.message : String(error)}`;
  }
  report(card, line, status, started);
  if (card && url === '/v1/calls' && status === 201 && isObject(data)) {
    // The call goes on after its 201: the line follows its events (answered, missed, a revocation).
    card.placed = { callId: data.callId, business: body.from, line, outcome: 'placed' };
  }
  poll();
  refreshAllPermissions();
  return status;
};

/** What became of a placed call, from the events on the timeline, on the line its 201 started. */
const followPlacedCall = (envelope) => {
  if (!isObject(envelope) || !isObject(envelope.data)) return;
  for (const card of cards.values()) {
    const placed = card.placed;
    if (!placed || envelope.user !== card.number || envelope.business !== placed.business) continue;
    const data = envelope.data;
    const ofThisCall = data.callId === placed.callId;
    if (ofThisCall && envelope.type === 'call.answered') {
      placed.outcome = 'answered';
      placed.answered = 'the user answered';
    } else if (ofThisCall && envelope.type === 'call.missed') {
      placed.outcome = placed.outcome === 'revoked' ? 'revoked' : 'missed';
      placed.missed = `the user missed it (${data.consecutiveMissed} in a row${data.warning ? ', warned' : ''})`;
    } else if (ofThisCall && envelope.type === 'call.ended') {
      placed.ended =
        typeof data.durationSeconds === 'number'
          ? `ended after ${readableDuration(data.durationSeconds)}`
          : 'ended';
    } else if (
      envelope.type === 'permission.revoked' &&
      data.reason === 'missed_calls' &&
      placed.outcome !== 'answered'
    ) {
      // Only a miss revokes for missed calls: the miss of this call, whichever event came first.
      placed.outcome = 'revoked';
      placed.revoked = 'which revoked the permission';
    } else {
      continue;
    }
    const then = [placed.answered, placed.missed, placed.revoked, placed.ended].filter(Boolean);
    const line = `${placed.line} — then ${then.join(', ')}`;
    const failed = placed.outcome === 'missed' || placed.outcome === 'revoked';
    showResult(card.result, line, 201, !failed);
    card.result.dataset.outcome = placed.outcome;
    announce(`${card.number}: ${line}`);
  }
};

const localError = (card, label, message) => report(card, `${label}: ${message}`, 'invalid');

// ---- header: clock, token, connection -------------------------------------------------------

tokenInput.value = localStorage.getItem(tokenKey) ?? '';
tokenInput.addEventListener('input', () => {
  const token = tokenInput.value.trim();
  if (token) localStorage.setItem(tokenKey, token);
  else localStorage.removeItem(tokenKey);
});
tokenInput.addEventListener('change', () => refreshAllPermissions());

for (const button of document.querySelectorAll('[data-advance]')) {
  button.addEventListener('click', () =>
    act(null, `Clock ${button.textContent}`, 'POST', sandboxUrl('clock'), {
      advanceSeconds: Number(button.dataset.advance),
    }),
  );
}

byId('reset').addEventListener('click', async () => {
  const status = await act(null, 'Reset sandbox', 'POST', sandboxUrl('reset'), {}, (data) =>
    isObject(data) ? `the clock is back to ${data.now}` : '',
  );
  if (status !== 200) return;
  // The timeline starts again too: its ids go on, so polling picks up from here.
  timelineList.replaceChildren();
  updateTimelineCount();
});

const renderClock = (now) => {
  const iso = byId('clock-iso');
  iso.textContent = now;
  iso.setAttribute('datetime', now);
  iso.dataset.now = now;
  const local = formatLocal(now);
  byId('clock-local').textContent = local ? `(${local} here)` : '';
};

let connected = true;
const setConnection = (ok, why) => {
  const line = byId('connection');
  line.hidden = ok;
  line.textContent = ok ? '' : `The sandbox does not answer (${why}); retrying every second.`;
  if (ok !== connected) announce(ok ? 'The sandbox answers again.' : line.textContent);
  connected = ok;
};

// ---- businesses and agents ------------------------------------------------------------------

const restrictionLine = (label, restriction) => {
  if (!restriction) return null;
  const state = restriction.liftedAt
    ? `lifted ${formatSandboxTime(restriction.liftedAt)}`
    : `until ${formatSandboxTime(restriction.until)}`;
  return h('p', { class: 'restriction' }, `${label} (${restriction.reason}), ${state}`);
};

/** Meta's restrictions on the number, the buttons that make Meta impose one, and the operator's lift. */
const restrictionsCell = (business) => {
  const button = (text, onClick) =>
    h('button', { type: 'button', class: 'inline', onclick: onClick }, text);
  const update = (label, body) => () =>
    act(
      null,
      `${label} ${business.number}`,
      'POST',
      sandboxUrl(`businesses/${encodeURIComponent(business.number)}/account-update`),
      body,
    );
  const pausedNow = business.paused?.inForce === true;
  return h(
    'td',
    { 'data-paused': String(pausedNow) },
    restrictionLine('Calls paused', business.paused),
    restrictionLine('Call button hidden', business.callButtonHidden),
    business.paused || business.callButtonHidden ? null : h('span', { class: 'muted' }, 'none '),
    button('Meta pauses it (7 days)', update('Meta pauses', { pauseCalls: true })),
    button(
      'Meta hides the call button',
      update('Meta hides the call button of', { pauseCalls: false, hideCallButton: true }),
    ),
    pausedNow
      ? button('Lift the pause', () =>
          act(
            null,
            `Lift the pause of ${business.number}`,
            'DELETE',
            `/v1/numbers/${encodeURIComponent(business.number)}/pause`,
          ),
        )
      : null,
  );
};

let businessesKey = '';
const renderBusinesses = (businesses, now) => {
  const key = JSON.stringify([businesses, now]);
  if (key === businessesKey) return;
  businessesKey = key;
  const rows = businesses.map((business) => {
    const inbound =
      business.inbound === 'menu' && business.menuKeys?.length
        ? `menu (keys ${business.menuKeys.join(', ')})`
        : String(business.inbound);
    let hours = 'not set';
    if (business.hours) {
      const here = formatInZone(now, business.hours.timeZone);
      hours = `${business.hours.openNow ? 'open now' : 'closed now'} — ${business.hours.timeZone}${here ? `, ${here} there` : ''}`;
    }
    return h(
      'tr',
      {
        'data-business': business.number,
        'data-open-now': business.hours ? String(business.hours.openNow) : undefined,
      },
      h('td', {}, business.number),
      h('td', {}, inbound),
      h(
        'td',
        {},
        hours,
        business.hours && !business.hours.openNow
          ? h(
              'button',
              {
                type: 'button',
                class: 'inline',
                onclick: () =>
                  act(null, `Clock to ${business.number}'s opening`, 'POST', sandboxUrl('clock'), {
                    untilOpen: business.number,
                  }),
              },
              'Clock to opening',
            )
          : null,
      ),
      restrictionsCell(business),
    );
  });
  document.querySelector('#businesses tbody').replaceChildren(...rows);
  byId('no-businesses').hidden = businesses.length > 0;
};

/** A seconds input's value; null when empty and allowed, undefined when invalid. */
const readSeconds = (input, emptyIsNull) => {
  if (input.value.trim() === '') return emptyIsNull && !input.validity.badInput ? null : undefined;
  const seconds = Number(input.value);
  const max = Number(input.max);
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= max ? seconds : undefined;
};

const agentsCalls = byId('agents-calls');
const agentsRing = byId('agents-ring');
const agentsPending = new Set();

const putAgents = async (field, value, label) => {
  agentsPending.add(field);
  try {
    await act(null, label, 'PUT', sandboxUrl('agents'), { [field]: value }, () => '');
  } finally {
    agentsPending.delete(field);
  }
};

agentsCalls.addEventListener('change', () =>
  putAgents('calls', agentsCalls.value, `Agents → ${agentsCalls.value}`),
);
agentsRing.addEventListener('change', () => {
  const seconds = readSeconds(agentsRing, false);
  if (seconds === undefined) {
    localError(null, 'Agent ring seconds', 'a whole number of seconds from 0 to 300');
    return;
  }
  putAgents('ringSeconds', seconds, `Agent ring seconds → ${seconds}`);
});

const renderAgents = (agents) => {
  if (!agents) return;
  if (!agentsPending.has('calls') && document.activeElement !== agentsCalls) {
    agentsCalls.value = agents.calls;
  }
  if (!agentsPending.has('ringSeconds') && document.activeElement !== agentsRing) {
    agentsRing.value = agents.ringSeconds ?? '';
  }
};

// ---- users --------------------------------------------------------------------------------------

/** The user cards, by number; updated in place so focus and typing survive each poll. */
const cards = new Map();
let businessNumbers = [];
let cardCount = 0;

const select = (values) => h('select', {}, ...values.map((v) => h('option', { value: v }, v)));

const field = (text, control) => h('label', { class: 'field' }, h('span', {}, text), control);

const syncOptions = (selectElement, values) => {
  const current = [...selectElement.options].map((option) => option.value);
  if (current.join('\n') === values.join('\n')) return false;
  const selected = selectElement.value;
  selectElement.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  if (values.includes(selected)) selectElement.value = selected;
  return selected !== selectElement.value;
};

const behaviourFields = [
  { key: 'permissionRequests', label: 'Permission requests', values: permissionReplies },
  { key: 'calls', label: 'Business calls', values: callBehaviours },
  { key: 'ringSeconds', label: 'Ring seconds', max: 300, nullable: false },
  { key: 'talkSeconds', label: 'Talk seconds', max: 14400, nullable: true },
];

const createCard = (number) => {
  cardCount += 1;
  const id = `user-${cardCount}`;
  const card = {
    number,
    controls: {},
    pending: new Set(),
    callItems: new Map(),
    permissionKey: '',
    permissionBusy: false,
    permissionAgain: false,
  };

  const behaviour = h(
    'fieldset',
    { class: 'behaviour', 'data-result-after': '' },
    h('legend', {}, 'Behaviour'),
    ...behaviourFields.map((spec) => {
      const control = spec.values
        ? select(spec.values)
        : h('input', {
            type: 'number',
            min: '0',
            max: String(spec.max),
            step: '1',
            inputmode: 'numeric',
            placeholder: spec.nullable ? 'until hang-up' : undefined,
          });
      card.controls[spec.key] = control;
      control.addEventListener('change', () => changeBehaviour(card, spec));
      return field(spec.label, control);
    }),
  );

  card.business = select(businessNumbers);
  card.business.addEventListener('change', () => refreshPermission(card));

  card.permission = h('div', { class: 'permission', 'data-permission': '' });
  card.result = h('p', { class: 'result', 'data-result': '' });

  const menuKeys = h('input', {
    type: 'text',
    inputmode: 'tel',
    autocomplete: 'off',
    spellcheck: 'false',
    size: '6',
    placeholder: 'e.g. 1',
  });
  card.menuKeys = menuKeys;
  // A text opens the user's customer-service window: the next request goes free-form.
  const messageText = h('input', {
    type: 'text',
    autocomplete: 'off',
    size: '18',
    placeholder: 'Hello, can you call me?',
  });

  const button = (text, onClick, kind) =>
    h('button', { type: 'button', class: kind, onclick: onClick }, text);

  const reply = (label, response, permanent) => () =>
    withBusiness(card, label, (business) =>
      act(card, label, 'POST', userUrl(number, 'permission-reply'), {
        business,
        response,
        permanent,
      }),
    );

  // Set from the user's view: whether they have a username, and whether Meta shows their number.
  card.identity = h('p', { class: 'muted', 'data-user-id': '' });
  card.requestList = h('ul', { class: 'requests' });
  card.requestsEmpty = h('p', { class: 'muted' }, 'None waiting.');
  card.callList = h('ul', { class: 'calls', 'data-result-after': '' });
  card.callsEmpty = h('p', { class: 'muted' }, 'No live call.');

  card.element = h(
    'section',
    { class: 'card', 'data-user': number, 'aria-labelledby': `${id}-heading` },
    h('h3', { id: `${id}-heading` }, number),
    card.identity,
    behaviour,
    h('p', { class: 'business-choice', 'data-result-after': '' }, field('Business', card.business)),
    h('h4', {}, 'Permission'),
    card.permission,
    h('h4', {}, 'Business actions'),
    h('p', { class: 'muted hint' }, "What the business's systems ask callgate's API."),
    h(
      'div',
      { class: 'buttons', 'data-result-after': '' },
      button('Request permission', () =>
        withBusiness(card, 'Request permission', (business) =>
          act(card, 'Request permission', 'POST', '/v1/permission-requests', {
            from: business,
            to: number,
          }),
        ),
      ),
      button('Place call', () =>
        withBusiness(card, 'Place call', (business) =>
          act(card, 'Place call', 'POST', '/v1/calls', { from: business, to: number }),
        ),
      ),
    ),
    h('h4', {}, 'User actions'),
    h('p', { class: 'muted hint' }, 'What this WhatsApp user does on their phone.'),
    h(
      'div',
      { class: 'buttons', 'data-result-after': '' },
      button('Accept', reply('Accept', 'accept', false)),
      button('Accept permanently', reply('Accept permanently', 'accept', true)),
      button('Reject', reply('Reject', 'reject', false), 'danger'),
    ),
    h(
      'div',
      { class: 'buttons', 'data-result-after': '' },
      field('Menu keys', menuKeys),
      button('Call the business', () => callBusiness(card)),
    ),
    h(
      'div',
      { class: 'buttons', 'data-result-after': '' },
      field('Message', messageText),
      button('Send a message', () =>
        withBusiness(card, 'Send a message', (business) =>
          act(card, 'Send a message', 'POST', userUrl(number, 'messages'), {
            business,
            ...(messageText.value.trim() ? { text: messageText.value.trim() } : {}),
          }),
        ),
      ),
    ),
    card.result,
    h('h4', {}, 'Pending permission requests'),
    card.requestsEmpty,
    card.requestList,
    h('h4', {}, 'Live calls'),
    card.callsEmpty,
    card.callList,
  );
  card.element.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target === menuKeys) callBusiness(card);
  });
  return card;
};

const withBusiness = (card, label, run) => {
  const business = card.business.value;
  if (!business) return localError(card, label, 'no business number to use');
  return run(business);
};

const callBusiness = (card) =>
  withBusiness(card, 'Call the business', (business) => {
    const digits = card.menuKeys.value.replace(/\s+/g, '');
    if (!/^[0-9*#]{0,20}$/.test(digits)) {
      return localError(card, 'Call the business', 'menu keys are up to 20 of 0-9, * and #');
    }
    const body = digits ? { business, digits } : { business };
    const label = digits ? `Call the business (keys ${digits})` : 'Call the business';
    return act(card, label, 'POST', userUrl(card.number, 'calls'), body);
  });

const changeBehaviour = async (card, spec) => {
  const control = card.controls[spec.key];
  let value = control.value;
  if (!spec.values) {
    value = readSeconds(control, spec.nullable);
    if (value === undefined) {
      const range = `a whole number of seconds from 0 to ${spec.max}`;
      localError(card, spec.label, spec.nullable ? `${range}, or empty` : range);
      return;
    }
  }
  card.pending.add(spec.key);
  try {
    const shown = value === null ? 'until hang-up' : value;
    const body = { [spec.key]: value };
    await act(card, `${spec.label} → ${shown}`, 'PUT', userUrl(card.number), body, () => '');
  } finally {
    card.pending.delete(spec.key);
  }
};

const updateCard = (card, user) => {
  const userId = user.userId ?? '';
  if (card.identity.dataset.userId !== userId || !card.identity.textContent) {
    card.identity.dataset.userId = userId;
    card.identity.textContent = !userId
      ? 'No username: known by their number.'
      : userId === user.number
        ? 'A username, and Meta shows no number: known by this BSUID alone. callgate cannot call or message them yet.'
        : `A username: BSUID ${userId}, sent beside the number.`;
  }
  const behaviour = user.behaviour ?? {};
  for (const spec of behaviourFields) {
    const control = card.controls[spec.key];
    if (card.pending.has(spec.key) || document.activeElement === control) continue;
    const value = behaviour[spec.key];
    control.value = value === null || value === undefined ? '' : String(value);
  }
  if (syncOptions(card.business, businessNumbers)) refreshPermission(card);

  const requests = user.requests ?? [];
  const requestsKey = JSON.stringify(requests);
  if (requestsKey !== card.requestsKey) {
    card.requestsKey = requestsKey;
    card.requestList.replaceChildren(
      ...requests.map((item) =>
        h(
          'li',
          { 'data-request-business': item.business },
          `From ${item.business}`,
          item.kind === 'interactive'
            ? ` (free-form${item.body ? `: “${item.body}”` : ''})`
            : item.template
              ? ` (template ${item.template})`
              : '',
          item.at ? `, sent ${formatSandboxTime(item.at)}` : '',
        ),
      ),
    );
  }
  card.requestsEmpty.hidden = requests.length > 0;
  card.requestList.hidden = requests.length === 0;

  renderCalls(card, user.calls ?? []);
};

const createCallItem = (card, call) => {
  const uuid = call.callUuid;
  const signal = (label, action) => () =>
    act(card, label, 'POST', userUrl(card.number, action), { callUuid: uuid }, () => '');
  const item = {
    status: h('strong', { 'data-call-status': '' }),
    answer: h('button', { type: 'button', onclick: signal('Answer', 'answer') }, 'Answer'),
    decline: h(
      'button',
      { type: 'button', class: 'danger', onclick: signal('Decline', 'decline') },
      'Decline',
    ),
  };
  const inbound = call.direction === 'inbound';
  const description = inbound ? `Call to ${call.business}` : `Business call from ${call.business}`;
  const controls = [
    item.answer,
    item.decline,
    h(
      'button',
      { type: 'button', class: 'danger', onclick: signal('Hang up', 'hangup') },
      'Hang up',
    ),
  ];
  if (inbound) {
    const keys = h('input', {
      type: 'text',
      inputmode: 'tel',
      autocomplete: 'off',
      spellcheck: 'false',
      size: '4',
    });
    const press = () => {
      const digits = keys.value.replace(/\s+/g, '');
      if (!/^[0-9*#]{1,20}$/.test(digits)) {
        localError(card, 'Press key', 'keys are 1 to 20 of 0-9, * and #');
        return;
      }
      act(
        card,
        `Press key ${digits}`,
        'POST',
        userUrl(card.number, 'keys'),
        { digits },
        () => '',
      ).then((status) => {
        if (status === 200) keys.value = '';
      });
    };
    keys.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') press();
    });
    controls.push(
      field('Keys', keys),
      h('button', { type: 'button', onclick: press }, 'Press key'),
    );
  }
  item.element = h(
    'li',
    { 'data-call-uuid': uuid, 'data-direction': call.direction },
    h(
      'p',
      {},
      `${description}: `,
      item.status,
      call.startedAt ? ` since ${formatSandboxTime(call.startedAt)}` : '',
      h('span', { class: 'muted uuid' }, ` · ${uuid}`),
    ),
    h('div', { class: 'buttons' }, ...controls),
  );
  return item;
};

const renderCalls = (card, calls) => {
  const seen = new Set();
  calls.forEach((call, index) => {
    let item = card.callItems.get(call.callUuid);
    if (!item) {
      item = createCallItem(card, call);
      card.callItems.set(call.callUuid, item);
    }
    seen.add(call.callUuid);
    item.status.textContent = call.status;
    item.element.dataset.status = call.status;
    const ringing = call.status === 'ringing' && call.direction !== 'inbound';
    item.answer.hidden = !ringing;
    item.decline.hidden = !ringing;
    const at = card.callList.children[index];
    if (at !== item.element) card.callList.insertBefore(item.element, at ?? null);
  });
  for (const [uuid, item] of card.callItems) {
    if (seen.has(uuid)) continue;
    item.element.remove();
    card.callItems.delete(uuid);
  }
  card.callsEmpty.hidden = calls.length > 0;
  card.callList.hidden = calls.length === 0;
};

const renderUsers = (users) => {
  const seen = new Set();
  users.forEach((user, index) => {
    let card = cards.get(user.number);
    if (!card) {
      card = createCard(user.number);
      cards.set(user.number, card);
    }
    seen.add(user.number);
    updateCard(card, user);
    const at = usersBox.children[index];
    if (at !== card.element) {
      const isNew = !card.element.isConnected;
      usersBox.insertBefore(card.element, at ?? null);
      if (isNew) refreshPermission(card);
    }
  });
  for (const [number, card] of cards) {
    if (seen.has(number)) continue;
    card.element.remove();
    cards.delete(number);
  }
  byId('no-users').hidden = users.length > 0;
};

/** A business-scoped user ID as Meta writes it (functions/shared/users.ts checks the same). */
const bsuidPattern = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

byId('add-user').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = byId('new-user');
  const idInput = byId('new-user-id');
  const written = input.value.trim();
  const userId = idInput.value.trim();
  const number = bsuidPattern.test(written)
    ? written
    : written.replace(/[\s()-]/g, '') || input.placeholder;
  if (!bsuidPattern.test(number) && !/^\+[1-9]\d{6,14}$/.test(number)) {
    const example =
      'an E.164 number such as +919812345678, or a BSUID such as US.13491208655302741918';
    localError(null, 'Add user', `${number} is not ${example}`);
    return;
  }
  if (userId && (!bsuidPattern.test(userId) || bsuidPattern.test(number))) {
    const why = bsuidPattern.test(number)
      ? 'a user named by a BSUID has no other'
      : `${userId} is not a BSUID such as US.13491208655302741918`;
    localError(null, 'Add user', why);
    return;
  }
  const label = userId ? `Add user ${number} (${userId})` : `Add user ${number}`;
  const body = userId ? { userId } : {};
  const status = await act(null, label, 'PUT', userUrl(number), body, () => '');
  if (status === 200) {
    input.value = '';
    idInput.value = '';
  }
});

// ---- permissions --------------------------------------------------------------------------------

const renderPermission = (card, business, response) => {
  const key = JSON.stringify([business, response.status, response.data]);
  if (key === card.permissionKey) return;
  card.permissionKey = key;
  const data = response.data;
  if (!response.ok || !isObject(data)) {
    card.permission.dataset.permission = '';
    card.permission.replaceChildren(
      h('p', { class: 'error' }, describe(`GET permission with ${business}`, response)),
    );
    return;
  }
  const permission = isObject(data.permission) ? data.permission : {};
  card.permission.dataset.permission = permission.status ?? '';
  const rows = [
    ['Business', business, {}],
    ['Status', permission.status ?? '—', { 'data-permission-status': '' }],
    ['Expires at', permission.expiresAt ?? '—', { 'data-permission-expires': '' }],
  ];
  for (const [name, value] of Object.entries(permission)) {
    if (name === 'status' || name === 'expiresAt') continue;
    if (value === null || typeof value !== 'object') rows.push([name, String(value), {}]);
  }
  if (typeof data.consecutiveMissed === 'number') {
    rows.push([
      'Missed in a row',
      `${data.consecutiveMissed}${data.warned ? ' (user warned)' : ''}`,
      { 'data-missed': String(data.consecutiveMissed) },
    ]);
  }
  const actions = Array.isArray(data.actions) ? data.actions : [];
  card.permission.replaceChildren(
    h(
      'dl',
      {},
      ...rows.flatMap(([name, value, attributes]) => [
        h('dt', {}, name),
        h('dd', attributes, value),
      ]),
    ),
    h(
      'ul',
      { class: 'actions' },
      ...actions.map((action) => {
        const limits = Array.isArray(action.limits) ? action.limits : [];
        const calls = action.simultaneousCalls;
        const cps = action.callsPerSecond;
        const capacity = [
          calls
            ? h('li', { 'data-limit': 'simultaneous' }, `${calls.used}/${calls.max} calls up now`)
            : null,
          cps
            ? h(
                'li',
                { 'data-limit': 'cps' },
                `${cps.max} Call API requests per second`,
                cps.availableAt ? `, next free at ${cps.availableAt}` : '',
              )
            : null,
        ].filter(Boolean);
        const name = actionNames[action.action];
        return h(
          'li',
          { 'data-action': action.action, 'data-can-perform': String(action.canPerform) },
          h('strong', {}, name ? `${name} (${action.action})` : String(action.action)),
          `: ${action.canPerform ? 'can perform' : 'cannot perform'}`,
          action.reason
            ? ` (${action.reason}${action.availableAt ? ` until ${action.availableAt}` : ''})`
            : '',
          limits.length + capacity.length
            ? h(
                'ul',
                {},
                ...limits.map((limit) =>
                  h(
                    'li',
                    { 'data-window': limit.window },
                    `${limit.used ?? '?'}/${limit.max ?? '?'} per ${limit.window ? readableIsoDuration(limit.window) : '?'}`,
                    limit.resetsAt ? `, resets at ${limit.resetsAt}` : '',
                  ),
                ),
                ...capacity,
              )
            : null,
        );
      }),
    ),
  );
};

const refreshPermission = async (card) => {
  if (card.permissionBusy) {
    card.permissionAgain = true;
    return;
  }
  const business = card.business.value;
  if (!business) {
    card.permissionKey = '';
    card.permission.replaceChildren(h('p', { class: 'muted' }, 'No business number to ask about.'));
    return;
  }
  card.permissionBusy = true;
  try {
    const url = `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(card.number)}`;
    const response = await request('GET', url);
    // A newer choice of business supersedes this answer.
    if (business === card.business.value) renderPermission(card, business, response);
  } catch (error) {
    card.permissionKey = '';
    card.permission.replaceChildren(
      h(
        'p',
        { class: 'error' },
        `GET permission: ${error instanceof Error ? error.message : error}`,
      ),
    );
  } finally {
    card.permissionBusy = false;
    if (card.permissionAgain && cards.get(card.number) === card) {
      card.permissionAgain = false;
      refreshPermission(card);
    }
  }
};

const refreshAllPermissions = () => {
  for (const card of cards.values()) refreshPermission(card);
};

// ---- timeline -----------------------------------------------------------------------------------

let lastEntryId;
const knownKinds = new Set([...timelineFilter.options].map((option) => option.value));

const prettyXml = (xml) => {
  let depth = 0;
  return xml
    .replace(/>\s*</g, '>\n<')
    .split('\n')
    .map((line) => {
      const text = line.trim();
      if (text.startsWith('</')) depth = Math.max(0, depth - 1);
      const indented = `${'  '.repeat(depth)}${text}`;
      const opens = /^<[^!?/]/.test(text) && !text.endsWith('/>') && !/<\/[^>]+>\s*$/.test(text);
      if (opens) depth += 1;
      return indented;
    })
    .join('\n');
};

const prettyBody = (body, contentType = '') => {
  if (typeof body !== 'string') return JSON.stringify(body, null, 2);
  const trimmed = body.trim();
  if (contentType.includes('xml') || trimmed.startsWith('<')) return prettyXml(trimmed);
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return body;
  }
};

const prettyParams = (params) => {
  if (!isObject(params)) return JSON.stringify(params, null, 2);
  const entries = Object.entries(params);
  if (entries.some(([, value]) => value !== null && typeof value === 'object')) {
    return JSON.stringify(params, null, 2);
  }
  return entries.map(([name, value]) => `${name} = ${value}`).join('\n');
};

const entryDetails = (entry) => {
  const parts = [];
  const content = [];
  if (entry.request) {
    parts.push('request');
    content.push(
      h('h5', {}, 'Request'),
      h('p', { class: 'wire' }, h('code', {}, `${entry.request.method} ${entry.request.url}`)),
    );
    if (entry.request.params && Object.keys(entry.request.params).length) {
      content.push(h('pre', { 'data-params': '' }, prettyParams(entry.request.params)));
    }
  }
  if (entry.response) {
    parts.push('response');
    const { status, contentType, body } = entry.response;
    content.push(
      h('h5', {}, 'Response'),
      h('p', { class: 'wire' }, h('code', {}, `${status}${contentType ? ` ${contentType}` : ''}`)),
    );
    if (body !== undefined && body !== '') {
      content.push(h('pre', { 'data-body': '' }, prettyBody(body, contentType)));
    }
  }
  if (entry.detail !== undefined) {
    parts.push('detail');
    content.push(h('h5', {}, 'Detail'), h('pre', { 'data-detail': '' }, prettyBody(entry.detail)));
  }
  if (!parts.length) return null;
  const title = parts.join(', ');
  return h(
    'details',
    {},
    h('summary', {}, `${title[0].toUpperCase()}${title.slice(1)}`),
    ...content,
  );
};

const renderEntry = (entry) => {
  const kind = String(entry.kind);
  const tags = [
    entry.user ? `user ${entry.user}` : null,
    entry.business ? `business ${entry.business}` : null,
    entry.callUuid ? `call ${entry.callUuid}` : null,
    entry.callId ? `call ${entry.callId}` : null,
  ].filter(Boolean);
  const item = h(
    'li',
    { 'data-kind': kind, 'data-id': entry.id },
    h(
      'p',
      { class: 'entry' },
      h('time', { datetime: entry.at }, formatSandboxTime(String(entry.at))),
      ' ',
      h('span', { class: `kind kind-${kind.replace(/[^a-z0-9-]/gi, '')}` }, kind),
      ' ',
      h('span', { class: 'summary' }, String(entry.summary ?? '')),
    ),
    tags.length ? h('p', { class: 'muted tags' }, tags.join(' · ')) : null,
    entryDetails(entry),
  );
  item.hidden = Boolean(timelineFilter.value) && timelineFilter.value !== kind;
  if (!knownKinds.has(kind)) {
    knownKinds.add(kind);
    timelineFilter.append(h('option', { value: kind }, kind));
  }
  return item;
};

const atBottom = () =>
  timelineList.scrollHeight - timelineList.scrollTop - timelineList.clientHeight < 24;

const appendEntries = (entries) => {
  const fresh = entries.filter((entry) => lastEntryId === undefined || entry.id > lastEntryId);
  if (!fresh.length) return false;
  const follow = atBottom();
  timelineList.append(...fresh.map(renderEntry));
  lastEntryId = fresh[fresh.length - 1].id;
  while (timelineList.children.length > timelineKept) timelineList.firstElementChild.remove();
  if (follow) timelineList.scrollTop = timelineList.scrollHeight;
  updateTimelineCount();
  for (const entry of fresh) if (entry.kind === 'event') followPlacedCall(entry.detail);
  // A /v1 request changes nothing the page shows by itself; a refused read of a permission is one,
  // and reading again on it would feed the timeline its own refusals.
  return fresh.some((entry) => entry.kind !== 'api');
};

const updateTimelineCount = () => {
  const total = timelineList.children.length;
  const shown = timelineFilter.value
    ? timelineList.querySelectorAll(`:scope > li:not([hidden])`).length
    : total;
  byId('timeline-count').textContent =
    shown === total ? `${total} entries` : `${shown} of ${total} entries`;
};

timelineFilter.addEventListener('change', () => {
  const kind = timelineFilter.value;
  for (const item of timelineList.children) {
    item.hidden = Boolean(kind) && item.dataset.kind !== kind;
  }
  timelineList.scrollTop = timelineList.scrollHeight;
  updateTimelineCount();
});

// ---- polling ------------------------------------------------------------------------------------

const loadState = async () => {
  const response = await request('GET', sandboxUrl('state'));
  if (!response.ok || !isObject(response.data)) {
    throw new Error(describe('GET state', response));
  }
  const state = response.data;
  businessNumbers = (state.businesses ?? []).map((business) => business.number);
  renderClock(state.now);
  renderBusinesses(state.businesses ?? [], state.now);
  renderAgents(state.agents);
  byId('not-simulating').hidden = state.simulating !== false;
  renderUsers(state.users ?? []);
};

const loadTimeline = async () => {
  const query = lastEntryId === undefined ? '' : `?after=${lastEntryId}`;
  const response = await request('GET', sandboxUrl(`timeline${query}`));
  if (!response.ok || !isObject(response.data)) {
    throw new Error(describe('GET timeline', response));
  }
  return appendEntries(Array.isArray(response.data.entries) ? response.data.entries : []);
};

let timer;
let polling = false;
let pollAgain = false;

const poll = async () => {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  clearTimeout(timer);
  try {
    const [state, timeline] = await Promise.allSettled([loadState(), loadTimeline()]);
    const failed = [state, timeline].find((outcome) => outcome.status === 'rejected');
    setConnection(!failed, failed ? String(failed.reason?.message ?? failed.reason) : '');
    if (timeline.status === 'fulfilled' && timeline.value) refreshAllPermissions();
  } finally {
    polling = false;
    if (pollAgain) {
      pollAgain = false;
      poll();
    } else {
      timer = setTimeout(poll, pollMs);
    }
  }
};

poll();
