// The friend's landing page: accept the invitation. In local mode a new local user is created for the
// friend; otherwise the host app hands its token over in the fragment (#access_token=...).
/* global document, location, history, sessionStorage, fetch, Headers, URLSearchParams */
'use strict';

(() => {
  const settings = document.body.dataset;
  const FRIEND_KEY = 'invite-api.friend-session';
  const $ = (id) => document.getElementById(id);
  const expires = $('expires-at');
  if (expires) {
    expires.textContent = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(
      new Date(expires.getAttribute('datetime')),
    );
  }
  const form = $('accept-form');
  if (!form) return;
  const button = $('accept-button');
  const errorBox = $('accept-error');

  function handedOverToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const token = fragment.get('access_token');
    if (token) {
      history.replaceState(null, '', location.pathname + location.search);
      sessionStorage.setItem(FRIEND_KEY, JSON.stringify({ token }));
    }
    try {
      return JSON.parse(sessionStorage.getItem(FRIEND_KEY) || 'null')?.token ?? null;
    } catch {
      return null;
    }
  }
  let token = handedOverToken();

  async function post(path, body, bearer) {
    const headers = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    try {
      const response = await fetch(path, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        cache: 'no-store',
      });
      let parsed = null;
      try {
        parsed = await response.json();
      } catch {
        parsed = null;
      }
      return { status: response.status, body: parsed, headers: response.headers };
    } catch {
      return { status: 0, body: null, headers: new Headers() };
    }
  }

  function explain(result) {
    const error = result.body?.error;
    const reason = error?.details?.reason;
    switch (error?.code) {
      case 'INVITATION_EXPIRED':
        return { title: 'This invitation has expired', text: 'Ask your friend to send you a new one.' };
      case 'INVITATION_REVOKED':
        return { title: 'This invitation was withdrawn', text: 'Ask your friend to invite you again.' };
      case 'INVITATION_NOT_ACCEPTABLE':
        if (reason === 'OWN_INVITATION') {
          return { title: "That's your own invitation", text: 'Send the link to the friend you invited.' };
        }
        if (reason === 'ALREADY_REFERRED') {
          return {
            title: 'You already joined',
            text: 'You accepted another invitation before; each person can accept one.',
          };
        }
        return { title: 'Already accepted', text: 'Someone has already accepted this invitation.' };
      case 'NOT_FOUND':
        return { title: "We couldn't find this invitation", text: 'Check the link in your message.' };
      case 'UNAUTHORIZED':
        return { title: 'Please sign in', text: 'Sign in to your account, then open the link again.' };
      case 'RATE_LIMITED_IP':
      case 'SERVICE_UNAVAILABLE':
        return { title: 'The service is busy', text: 'Please try again in a minute.' };
      default:
        return result.status === 0
          ? { title: "You're offline", text: 'Check your connection and try again.' }
          : { title: 'Something went wrong', text: 'Please try again in a moment.' };
    }
  }

  function showError(message, code) {
    const box = document.createElement('div');
    box.className = 'error-box';
    box.dataset.code = code ?? '';
    const title = document.createElement('strong');
    title.textContent = message.title;
    const text = document.createElement('p');
    text.textContent = message.text;
    box.append(title, text);
    errorBox.replaceChildren(box);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.replaceChildren();
    button.disabled = true;
    button.textContent = 'Accepting…';
    try {
      if (!token && settings.authMode === 'local') {
        const name = $('friend-name')?.value.trim() ?? '';
        const signIn = await post('/api/dev/session', name === '' ? { user: 'new' } : { user: 'new', name });
        if (signIn.status !== 200) {
          showError(explain(signIn), signIn.body?.error?.code);
          return;
        }
        token = signIn.body.token;
        sessionStorage.setItem(FRIEND_KEY, JSON.stringify({ token }));
      }
      if (!token) {
        showError(explain({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } }), 'UNAUTHORIZED');
        return;
      }
      const result = await post('/api/invitations/accept', { inviteCode: settings.inviteCode }, token);
      if (result.status !== 200) {
        showError(explain(result), result.body?.error?.code);
        return;
      }
      $('accept-area').hidden = true;
      const welcome =
        result.body.welcomePoints > 0
          ? ` Your welcome reward of ${result.body.welcomePoints} points is waiting.`
          : '';
      $('accept-success-text').textContent =
        `You accepted ${result.body.inviterName}'s invitation.${welcome}`;
      const success = $('accept-success');
      success.hidden = false;
      success.focus();
    } finally {
      button.disabled = false;
      button.textContent = 'Accept invitation';
    }
  });
})();
