// The invite page: sign-in, the invite form, "My invitations" (polled with ETag) and rewards.
/* global window, document, location, history, localStorage, fetch, Headers, URLSearchParams, TextDecoder, atob, crypto, navigator, setInterval, clearInterval, CSS */
// Plain JS, no framework; every value from the API is inserted as text, never as markup.
'use strict';

(() => {
  const settings = document.body.dataset;
  const TOKEN_KEY = 'invite-api.session';
  const POLL_MS = 1500;
  const $ = (id) => document.getElementById(id);

  // ---- Session: a local token (AUTH_MODE=local), or the host app's token handed over in the fragment.
  function readSession() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const handed = fragment.get('access_token');
    if (handed) {
      // Never leave a token in the address bar or the history.
      history.replaceState(null, '', location.pathname + location.search);
      const claims = decodeClaims(handed);
      if (claims) saveSession({ token: handed, name: claims.name || claims.sub, exp: claims.exp });
    }
    try {
      const session = JSON.parse(localStorage.getItem(TOKEN_KEY) || 'null');
      if (session && typeof session.token === 'string' && (!session.exp || session.exp * 1000 > Date.now())) {
        return session;
      }
    } catch {
      /* an unreadable entry is no session */
    }
    localStorage.removeItem(TOKEN_KEY);
    return null;
  }
  function saveSession(session) {
    localStorage.setItem(TOKEN_KEY, JSON.stringify(session));
  }
  function decodeClaims(token) {
    try {
      const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
    } catch {
      return null;
    }
  }

  let session = readSession();

  async function api(method, path, body, extraHeaders) {
    const headers = { ...extraHeaders };
    if (session) headers.authorization = `Bearer ${session.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      return { status: 0, body: null, headers: new Headers() };
    }
    let parsed = null;
    if (response.status !== 304 && response.status !== 204) {
      try {
        parsed = await response.json();
      } catch {
        parsed = null;
      }
    }
    if (response.status === 401 && session) signOut('Your session has ended. Please sign in again.');
    return { status: response.status, body: parsed, headers: response.headers };
  }

  // ---- Error messages for every error code the invite endpoints can return.
  const timeFormat = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    hour: 'numeric',
    minute: '2-digit',
  });
  function retryTime(result) {
    const seconds =
      Number(result.body?.error?.details?.retryAfterSeconds) ||
      Number(result.headers.get('retry-after')) ||
      60;
    return new Date(Date.now() + seconds * 1000);
  }
  function describeError(result) {
    const error = result.body?.error;
    const code = error?.code;
    const reason = error?.details?.reason;
    switch (code) {
      case 'INVALID_PHONE_NUMBER':
        if (reason === 'NOT_INTERNATIONAL_FORMAT') {
          return {
            title: 'Add the country code',
            text: settings.defaultCountry
              ? 'Type the number with its country code (e.g. +44 …) or as a local number.'
              : 'Start with + and the country code, for example +1 415 555 2671.',
          };
        }
        if (reason === 'NOT_SMS_CAPABLE') {
          return { title: "That number can't receive texts", text: 'Enter a mobile number.' };
        }
        return {
          title: "That doesn't look like a valid phone number",
          text: 'Check the digits and try again.',
        };
      case 'COUNTRY_NOT_ALLOWED':
        return { title: "We can't text that country yet", text: error.message };
      case 'DUPLICATE_INVITATION':
        return {
          title: 'You already invited this number',
          text: `Their invite code is ${error.details?.inviteCode ?? ''}. You can resend it from "My invitations".`,
        };
      case 'RATE_LIMITED_USER':
        return {
          title: "You've reached today's invitation limit",
          text: `You can send ${error.details?.limit ?? settings.dailyLimit} invitations a day. You can invite again after ${timeFormat.format(retryTime(result))}.`,
        };
      case 'RATE_LIMITED_PHONE':
        return {
          title: 'This number was invited recently',
          text: `Someone invited this number in the last day. It can be invited again after ${timeFormat.format(retryTime(result))}.`,
        };
      case 'PHONE_OPTED_OUT':
        return {
          title: 'This number has opted out of texts',
          text: 'Its owner replied STOP to an earlier message, so we will not text it. Share your link with them another way.',
        };
      case 'RATE_LIMITED_RESEND':
        return {
          title: 'Sent moments ago',
          text: `You can send it again after ${timeFormat.format(retryTime(result))}.`,
        };
      case 'RESEND_NOT_ALLOWED':
        return {
          title: "Can't send again",
          text:
            reason === 'MAX_RESENDS'
              ? `An invitation can be sent again at most ${settings.maxResends} times.`
              : 'Only a sent or delivered invitation can be sent again.',
        };
      case 'INVITATION_NOT_REVOCABLE':
        return {
          title: "Can't revoke",
          text: reason === 'ACCEPTED' ? 'Your friend already accepted it.' : 'It has already expired.',
        };
      case 'VALIDATION_ERROR':
        return { title: 'Enter a phone number', text: "Type your friend's mobile number." };
      case 'RATE_LIMITED_IP':
      case 'SERVICE_UNAVAILABLE':
        return {
          title: 'The service is busy',
          text: `Please try again after ${timeFormat.format(retryTime(result))}. Nothing was sent.`,
        };
      case 'UNAUTHORIZED':
        return { title: 'Please sign in again', text: 'Your session has ended.' };
      default:
        if (result.status === 0) {
          return { title: "You're offline", text: 'Check your connection and try again. Nothing was sent.' };
        }
        return { title: 'Something went wrong', text: 'Please try again in a moment. Nothing was sent.' };
    }
  }
  function showError(container, message) {
    container.replaceChildren();
    const box = document.createElement('div');
    box.className = 'error-box';
    box.dataset.code = message.code || '';
    const title = document.createElement('strong');
    title.textContent = message.title;
    const text = document.createElement('p');
    text.textContent = message.text;
    box.append(title, text);
    container.append(box);
  }

  // ---- Sign-in and sign-out.
  function render() {
    const signedIn = session !== null;
    $('sign-in').hidden = signedIn;
    $('app').hidden = !signedIn;
    $('session').hidden = !signedIn;
    if (signedIn) {
      $('session-name').textContent = session.name;
      startPolling();
    } else {
      stopPolling();
    }
  }
  function signOut(notice) {
    session = null;
    localStorage.removeItem(TOKEN_KEY);
    lastEtags.clear();
    render();
    if (notice) $('sign-in').querySelector('.lead').textContent = notice;
  }
  $('sign-out').addEventListener('click', () => signOut());
  const demoButton = $('sign-in-demo');
  if (demoButton) {
    demoButton.addEventListener('click', async () => {
      demoButton.disabled = true;
      const result = await api('POST', '/api/dev/session', { user: 'demo' });
      demoButton.disabled = false;
      if (result.status !== 200) {
        $('sign-in').querySelector('.lead').textContent = describeError(result).title;
        return;
      }
      session = {
        token: result.body.token,
        name: result.body.user.name,
        exp: decodeClaims(result.body.token)?.exp,
      };
      saveSession(session);
      render();
      $('phone').focus();
    });
  }

  // ---- Invite.
  const form = $('invite-form');
  const phone = $('phone');
  const phoneError = $('phone-error');
  const button = $('invite-button');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    phoneError.replaceChildren();
    phone.removeAttribute('aria-invalid');
    $('invite-success').hidden = true;
    const value = phone.value.trim();
    if (value === '') {
      phone.setAttribute('aria-invalid', 'true');
      showError(phoneError, { title: 'Enter a phone number', text: "Type your friend's mobile number." });
      phone.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Sending…';
    // One key per attempt: a network retry of this same request never creates a second invitation.
    const result = await api(
      'POST',
      '/api/invitations',
      { phoneNumber: value },
      { 'idempotency-key': crypto.randomUUID() },
    );
    button.disabled = false;
    button.textContent = 'Invite Friend';
    if (result.status === 201) {
      showSuccess(result.body);
      form.reset();
      refresh();
      return;
    }
    const message = describeError(result);
    message.code = result.body?.error?.code;
    phone.setAttribute('aria-invalid', 'true');
    showError(phoneError, message);
    phone.focus();
  });

  function showSuccess(created) {
    $('success-text').textContent =
      `We're texting ${created.phoneNumberDisplay ?? created.phoneNumber} an invitation from you.`;
    $('success-code').textContent = created.inviteCode;
    $('success-link').value = created.referralUrl;
    $('copy-status').textContent = '';
    $('invite-success').hidden = false;
  }
  $('copy-link').addEventListener('click', async () => {
    const link = $('success-link');
    try {
      await navigator.clipboard.writeText(link.value);
      $('copy-status').textContent = 'Link copied.';
    } catch {
      link.select();
      $('copy-status').textContent = 'Press Ctrl+C (or ⌘C) to copy the selected link.';
    }
  });

  // ---- "My invitations" and rewards, polled with If-None-Match: an unchanged list costs a 304.
  const lastEtags = new Map();
  const rowMessages = new Map();
  let pollTimer = null;
  function startPolling() {
    if (pollTimer === null) {
      refresh();
      pollTimer = setInterval(() => {
        if (!document.hidden) refresh();
      }, POLL_MS);
    }
  }
  function stopPolling() {
    if (pollTimer !== null) clearInterval(pollTimer);
    pollTimer = null;
  }
  /** The new body, `unchanged` (304), or `failed` (network, 5xx): the live dot shows which. */
  async function getIfChanged(path) {
    const etag = lastEtags.get(path);
    const result = await api('GET', path, undefined, etag ? { 'if-none-match': etag } : {});
    if (result.status === 200) {
      const tag = result.headers.get('etag');
      if (tag) lastEtags.set(path, tag);
      return result.body;
    }
    return result.status === 304 ? 'unchanged' : 'failed';
  }
  let refreshing = false;
  async function refresh() {
    if (refreshing || session === null) return;
    refreshing = true;
    try {
      const [list, rewards] = await Promise.all([
        getIfChanged('/api/invitations?limit=50'),
        getIfChanged('/api/rewards'),
      ]);
      const live = $('live-indicator');
      const failed = list === 'failed';
      live.classList.toggle('paused', failed);
      live.textContent = failed ? 'Reconnecting…' : 'Live';
      if (typeof list === 'object' && list !== null) renderInvitations(list.invitations);
      if (typeof rewards === 'object' && rewards !== null) renderRewards(rewards);
    } finally {
      refreshing = false;
    }
  }

  const STATUS_TEXT = {
    queued: 'Queued',
    sent: 'Sent',
    delivered: 'Delivered',
    failed: 'Failed',
    accepted: 'Accepted',
    expired: 'Expired',
    revoked: 'Revoked',
  };
  const STATUS_DETAIL = {
    queued: 'Waiting to be texted',
    sent: 'Texted',
    delivered: 'Delivered to their phone',
    failed: 'Could not be delivered',
    accepted: 'Your friend joined',
    expired: 'Expired without being accepted',
    revoked: 'You withdrew it',
  };
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  let previousStatuses = new Map();

  function renderInvitations(invitations) {
    const list = $('invitation-list');
    $('list-empty').hidden = invitations.length > 0;
    const focusedAction = document.activeElement?.dataset?.action;
    const focusedId = document.activeElement?.closest?.('[data-invitation-id]')?.dataset.invitationId;
    const announcements = [];
    const rows = invitations.map((invitation) => {
      const before = previousStatuses.get(invitation.invitationId);
      if (before && before !== invitation.status) {
        announcements.push(
          `Invitation to ${invitation.phoneNumberDisplay} is now ${STATUS_TEXT[invitation.status]}.`,
        );
      }
      return renderRow(invitation);
    });
    previousStatuses = new Map(invitations.map((i) => [i.invitationId, i.status]));
    list.replaceChildren(...rows);
    if (announcements.length > 0) $('list-status').textContent = announcements.join(' ');
    // Re-rendering must not steal keyboard focus.
    if (focusedId && focusedAction) {
      list
        .querySelector(`[data-invitation-id="${CSS.escape(focusedId)}"] [data-action="${focusedAction}"]`)
        ?.focus();
    }
  }

  function renderRow(invitation) {
    const item = document.createElement('li');
    item.className = 'invitation';
    item.dataset.invitationId = invitation.invitationId;
    item.dataset.status = invitation.status;

    const phoneLine = document.createElement('span');
    phoneLine.className = 'invitation-phone';
    phoneLine.textContent = invitation.phoneNumberDisplay ?? invitation.phoneNumber;

    const badge = document.createElement('span');
    badge.className = `status status-${invitation.status}`;
    badge.dataset.testid = 'status';
    badge.textContent = STATUS_TEXT[invitation.status] ?? invitation.status;
    badge.title = STATUS_DETAIL[invitation.status] ?? '';

    const meta = document.createElement('span');
    meta.className = 'invitation-meta';
    const parts = [
      `Code ${invitation.inviteCode}`,
      `invited ${dateFormat.format(new Date(invitation.createdAt))}`,
    ];
    if (invitation.status === 'accepted' && invitation.acceptedAt) {
      parts.push(`accepted ${dateFormat.format(new Date(invitation.acceptedAt))}`);
    } else if (invitation.expiresAt && !['revoked', 'expired'].includes(invitation.status)) {
      parts.push(`valid until ${dateFormat.format(new Date(invitation.expiresAt))}`);
    }
    if (invitation.resendCount > 0) parts.push(`resent ${invitation.resendCount}×`);
    if (invitation.status === 'failed' && invitation.failure) parts.push(invitation.failure.message);
    meta.textContent = parts.join(' · ');

    const actions = document.createElement('div');
    actions.className = 'invitation-actions';
    const pending = ['queued', 'sent', 'delivered', 'failed'].includes(invitation.status);
    if (
      ['sent', 'delivered'].includes(invitation.status) &&
      invitation.resendCount < Number(settings.maxResends)
    ) {
      actions.append(
        actionButton(
          'resend',
          'Resend',
          `Resend the invitation to ${invitation.phoneNumberDisplay}`,
          invitation,
        ),
      );
    }
    if (pending) {
      actions.append(
        actionButton(
          'revoke',
          'Revoke',
          `Revoke the invitation to ${invitation.phoneNumberDisplay}`,
          invitation,
          'danger',
        ),
      );
    }
    const note = rowMessages.get(invitation.invitationId);
    if (note) {
      const message = document.createElement('span');
      message.className = `row-message ${note.kind}`;
      message.setAttribute('role', 'status');
      message.textContent = note.text;
      actions.append(message);
    }
    item.append(phoneLine, badge, meta);
    if (actions.childElementCount > 0) item.append(actions);
    return item;
  }

  function actionButton(action, label, ariaLabel, invitation, extraClass) {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = `button small ${extraClass ?? ''}`.trim();
    element.dataset.action = action;
    element.textContent = label;
    element.setAttribute('aria-label', ariaLabel);
    element.addEventListener('click', () => runAction(action, invitation, element));
    return element;
  }

  async function runAction(action, invitation, element) {
    element.disabled = true;
    const path = `/api/invitations/${encodeURIComponent(invitation.invitationId)}`;
    const result =
      action === 'resend'
        ? await api('POST', `${path}/resend`, undefined, { 'idempotency-key': crypto.randomUUID() })
        : await api('DELETE', path, undefined);
    element.disabled = false;
    if (result.status === 200 || result.status === 202) {
      rowMessages.set(invitation.invitationId, {
        kind: 'ok',
        text: action === 'resend' ? 'Sent again.' : 'Revoked: the link no longer works.',
      });
    } else {
      const message = describeError(result);
      rowMessages.set(invitation.invitationId, { kind: 'bad', text: `${message.title}. ${message.text}` });
    }
    lastEtags.delete('/api/invitations?limit=50');
    await refresh();
  }

  function renderRewards(rewards) {
    $('reward-balance').textContent = String(rewards.balance);
    const referrals = rewards.rewards.filter((reward) => reward.kind === 'referral');
    $('reward-summary').textContent =
      referrals.length === 0
        ? 'Rewards appear here when friends accept your invitations.'
        : `${referrals.length} ${referrals.length === 1 ? 'friend' : 'friends'} joined through you · ${rewards.remaining} more rewards available`;
    $('reward-list').replaceChildren(
      ...rewards.rewards.map((reward) => {
        const item = document.createElement('li');
        const label = reward.kind === 'referral' ? 'A friend accepted your invitation' : 'Welcome reward';
        item.textContent = `+${reward.points} points · ${label} · ${dateFormat.format(new Date(reward.createdAt))}`;
        return item;
      }),
    );
  }

  // A host app may hand a token over to an already open page (same URL, new fragment).
  window.addEventListener('hashchange', () => {
    const handed = readSession();
    if (handed !== null && handed.token !== session?.token) {
      session = handed;
      lastEtags.clear();
      render();
    }
  });

  render();
  if (session === null && demoButton) demoButton.focus();
})();
