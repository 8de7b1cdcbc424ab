import type { PublicInvitationView } from '../service/views.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { assetUrl, type StaticAssets } from './staticAssets.ts';

/** What the pages need to know about the deployment; handed to the page script as data attributes. */
export interface PageSettings {
  authMode: 'jwt' | 'local';
  /** "Continue as <name>" on the invite page in local mode. */
  demoUserName: string;
  /** Absolute origin the pages are reached at (og:image must be absolute). */
  publicBaseUrl: string;
  dailyLimit: number;
  maxResends: number;
  resendCooldownSeconds: number;
  /** Region national numbers are read in, e.g. US; undefined: international format only. */
  defaultCountry: string | undefined;
  inviteTtlDays: number;
  /** WELCOME_REWARD_POINTS: the landing page promises it only when there is one. */
  welcomePoints: number;
}

const APP_NAME = 'Friendly';

function layout(
  assets: StaticAssets,
  {
    title,
    body,
    script,
    head,
    data,
  }: { title: string; body: SafeHtml; script?: 'invite.js' | 'landing.js'; head?: SafeHtml; data: SafeHtml },
): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>${title}</title>
        <link rel="icon" href="${assetUrl(assets, 'favicon.svg')}" type="image/svg+xml" />
        <link rel="stylesheet" href="${assetUrl(assets, 'app.css')}" />
        ${head}
        ${script === undefined ? undefined : html`<script src="${assetUrl(assets, script)}" defer></script>`}
      </head>
      <body ${data}>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="topbar">
          <a class="brand" href="/"><span class="brand-mark" aria-hidden="true">F</span>${APP_NAME}</a>
          <div class="session" id="session" hidden>
            <span class="session-name">Signed in as <strong id="session-name"></strong></span>
            <button type="button" class="link-button" id="sign-out">Sign out</button>
          </div>
        </header>
        <main id="main" tabindex="-1">${body}</main>
        <footer class="footer">
          <p>
            Invitations expire after a while and can be withdrawn by the sender. Reply STOP to any invitation
            SMS to receive no more.
          </p>
        </footer>
      </body>
    </html> `.safe;
}

function dataAttributes(settings: PageSettings, extra: Record<string, string> = {}): SafeHtml {
  const attributes: Record<string, string> = {
    'data-auth-mode': settings.authMode,
    'data-demo-user': settings.demoUserName,
    'data-daily-limit': String(settings.dailyLimit),
    'data-max-resends': String(settings.maxResends),
    'data-resend-cooldown': String(settings.resendCooldownSeconds),
    'data-default-country': settings.defaultCountry ?? '',
    ...extra,
  };
  return raw(
    Object.entries(attributes)
      .map(([name, value]) => html`${raw(name)}="${value}"`.safe)
      .join(' '),
  );
}

/** GET /: the inviter's page. Everything signed-in happens in invite.js against the JSON API. */
export function renderInvitePage(assets: StaticAssets, settings: PageSettings): string {
  const hint =
    settings.defaultCountry === undefined
      ? 'Include the country code, e.g. +1 415 555 2671.'
      : `Include the country code (+44 20 7946 0958), or type a ${settings.defaultCountry} number as you would dial it, e.g. (415) 555-2671.`;
  const signIn =
    settings.authMode === 'local'
      ? html`<p>This is a local installation: sign in as the demo user to try it.</p>
          <button type="button" class="button primary" id="sign-in-demo">
            Continue as ${settings.demoUserName}
          </button>`
      : html`<p>Open this page from the app you are signed in to: it hands your session over.</p>`;
  const body = html`
    <section class="panel" id="sign-in" aria-labelledby="sign-in-title" hidden>
      <h1 id="sign-in-title">Invite your friends</h1>
      <p class="lead">Send a friend an invitation by SMS. When they join, you both get rewarded.</p>
      ${signIn}
    </section>

    <div id="app" hidden>
      <section class="panel hero" aria-labelledby="invite-title">
        <h1 id="invite-title">Invite a friend</h1>
        <p class="lead">
          We'll text them a personal invitation link. You can send up to ${settings.dailyLimit} invitations a
          day.
        </p>
        <form id="invite-form" novalidate>
          <label for="phone" class="field-label">Friend's mobile number</label>
          <p class="field-hint" id="phone-hint">${hint}</p>
          <div class="field-row">
            <input
              id="phone"
              name="phoneNumber"
              type="tel"
              autocomplete="tel"
              inputmode="tel"
              placeholder="+1 415 555 2671"
              required
              maxlength="40"
              aria-describedby="phone-hint phone-error"
            />
            <button type="submit" class="button primary" id="invite-button">Invite Friend</button>
          </div>
          <div id="phone-error" class="field-error" role="alert" aria-live="assertive"></div>
        </form>
        <div id="invite-success" class="success" tabindex="-1" hidden>
          <h2 class="success-title">Invitation on its way</h2>
          <p id="success-text"></p>
          <p class="code-line">Invite code <span class="code" id="success-code"></span></p>
          <label for="success-link" class="field-label">Referral link</label>
          <div class="field-row">
            <input id="success-link" type="text" readonly />
            <button type="button" class="button" id="copy-link">Copy link</button>
          </div>
          <p class="copy-status" id="copy-status" role="status" aria-live="polite"></p>
        </div>
      </section>

      <section class="panel" aria-labelledby="rewards-title">
        <h2 id="rewards-title">Your rewards</h2>
        <div class="rewards" id="rewards" aria-live="polite">
          <p class="balance"><span class="balance-points" id="reward-balance">0</span> points</p>
          <p class="muted" id="reward-summary">Rewards appear here when friends accept.</p>
        </div>
        <ul class="reward-list" id="reward-list"></ul>
      </section>

      <section class="panel" aria-labelledby="list-title">
        <div class="section-head">
          <h2 id="list-title">My invitations</h2>
          <span class="live-dot" id="live-indicator" title="Updates automatically">Live</span>
        </div>
        <p class="muted" id="list-empty">No invitations yet. Your first one is a phone number away.</p>
        <ul class="invitation-list" id="invitation-list" aria-describedby="list-title"></ul>
        <p id="list-status" class="visually-hidden" role="status" aria-live="polite"></p>
      </section>
    </div>
  `;
  return layout(assets, {
    title: `Invite a friend · ${APP_NAME}`,
    body,
    script: 'invite.js',
    data: dataAttributes(settings),
  });
}

/** GET /invite/:code for a pending (or already accepted) invitation. */
export function renderLandingPage(
  assets: StaticAssets,
  settings: PageSettings,
  invitation: PublicInvitationView,
  shareCardUrl: string,
): string {
  const inviter = invitation.inviterName;
  const title = `${inviter} invited you to ${APP_NAME}`;
  const absoluteCard = new URL(shareCardUrl, settings.publicBaseUrl).toString();
  const pageUrl = new URL(`/invite/${invitation.inviteCode}`, settings.publicBaseUrl).toString();
  const head = html`<meta
      name="description"
      content="${title}. Accept the invitation and you both get a reward."
    />
    <meta property="og:type" content="website" />
    <meta property="og:title" content="${title}" />
    <meta property="og:description" content="Accept the invitation and you both get a reward." />
    <meta property="og:url" content="${pageUrl}" />
    <meta property="og:image" content="${absoluteCard}" />
    <meta property="og:image:width" content="1200" />
    <meta property="og:image:height" content="630" />
    <meta property="og:image:alt" content="${title}" />
    <meta name="twitter:card" content="summary_large_image" />
    <meta name="robots" content="noindex" />`;
  const accepted = invitation.status === 'accepted';
  const expires =
    invitation.expiresAt === undefined
      ? undefined
      : html`<p class="muted">
          This invitation is valid until
          <time id="expires-at" datetime="${invitation.expiresAt}">${invitation.expiresAt.slice(0, 10)}</time
          >.
        </p>`;
  const acceptForm =
    settings.authMode === 'local'
      ? html`<form id="accept-form" novalidate>
          <label for="friend-name" class="field-label">Your first name</label>
          <p class="field-hint" id="friend-name-hint">
            A local account is created for you (this is a local installation).
          </p>
          <input
            id="friend-name"
            name="name"
            type="text"
            autocomplete="given-name"
            maxlength="40"
            aria-describedby="friend-name-hint accept-error"
          />
          <button type="submit" class="button primary wide" id="accept-button">Accept invitation</button>
          <div id="accept-error" class="field-error" role="alert" aria-live="assertive"></div>
        </form>`
      : html`<form id="accept-form" novalidate>
          <p class="field-hint" id="friend-name-hint">
            Sign in to your account first; the app opens this page with your session.
          </p>
          <button type="submit" class="button primary wide" id="accept-button">Accept invitation</button>
          <div id="accept-error" class="field-error" role="alert" aria-live="assertive"></div>
        </form>`;
  const body = html`
    <section class="panel landing" aria-labelledby="landing-title">
      <img class="share-card" src="${shareCardUrl}" width="1200" height="630" alt="" />
      <p class="eyebrow">You're invited</p>
      <h1 id="landing-title"><span id="inviter-name">${inviter}</span> invited you to join ${APP_NAME}</h1>
      <p class="lead">
        Join with code <span class="code">${invitation.inviteCode}</span>. When you accept, ${inviter} gets a
        thank-you
        reward${settings.welcomePoints > 0 ? ` and you start with ${settings.welcomePoints} points` : ''}.
      </p>
      <div id="accept-area" ${accepted ? raw('hidden') : undefined}>${acceptForm} ${expires}</div>
      <div id="accepted-note" class="notice" ${accepted ? undefined : raw('hidden')}>
        <p>This invitation has already been accepted.</p>
      </div>
      <div id="accept-success" class="success" tabindex="-1" hidden>
        <h2 class="success-title">You're in!</h2>
        <p id="accept-success-text"></p>
      </div>
    </section>
  `;
  return layout(assets, {
    title,
    body,
    script: 'landing.js',
    head,
    data: dataAttributes(settings, { 'data-invite-code': invitation.inviteCode }),
  });
}

/** The friendly pages for an unknown code (404), a withdrawn or expired one (410), or trouble. */
export function renderMessagePage(
  assets: StaticAssets,
  settings: PageSettings,
  message: { title: string; text: string; kind: 'not-found' | 'gone' | 'busy' },
): string {
  const body = html`
    <section class="panel message ${message.kind}" aria-labelledby="message-title">
      <p class="eyebrow">
        ${message.kind === 'not-found' ? 'Not found' : message.kind === 'gone' ? 'No longer valid' : 'Please try again'}
      </p>
      <h1 id="message-title">${message.title}</h1>
      <p class="lead">${message.text}</p>
      <p><a class="button" href="/">Go to ${APP_NAME}</a></p>
    </section>
  `;
  return layout(assets, { title: `${message.title} · ${APP_NAME}`, body, data: dataAttributes(settings) });
}
