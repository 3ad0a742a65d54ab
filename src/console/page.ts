/** The console's page shell: the rehearsal banner, the user switch, the channel and the command box. */
import { escapeHtml } from './mrkdwn.ts';
import { PEOPLE } from './people.ts';

/** What the banner says about where this runs. */
export interface PageInfo {
  channelName: string;
  /** "mongo: FerretDB 1.24.2 …" per local service. */
  services: Array<{ name: string; version: string; url: string }>;
  backupRoot: string;
  managerNode: string;
  /** The manager node runs the local Docker engine (else the stand-in docker). */
  realEngine?: boolean;
  commands: string[];
}

function peopleHtml(): string {
  return PEOPLE.map(
    (p) =>
      `<label class="person"><input type="radio" name="who" value="${escapeHtml(p.id)}" data-name="${escapeHtml(p.name)}"><span class="avatar">${escapeHtml(p.name.slice(0, 1))}</span><span><strong>${escapeHtml(p.name)}</strong> — ${escapeHtml(p.role)}<small>${escapeHtml(p.can)}</small></span></label>`,
  ).join('');
}

export function pageHtml(info: PageInfo): string {
  const services = info.services.map((s) => `<li><strong>${escapeHtml(s.name)}</strong> ${escapeHtml(s.version)} <span class="url">${escapeHtml(s.url)}</span></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>REHEARSAL — crvs-backup-bot local console</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<div class="rehearsal-banner" role="note">
  <strong>REHEARSAL — local console, not Slack.</strong>
  The bot runs here against <em>local services with sample data</em>, not a real OpenCRVS deployment.
  Restores really replace the data of these local services; ${
    info.realEngine
      ? 'the manager node runs a <em>local Docker engine</em> with a test stack (placeholder services and a migration service that really applies migrations).'
      : 'the redeploy on the manager node runs a <em>stand-in <code>docker</code></em> (no container is touched) and a simulated migration service.'
  }
</div>
<div class="layout">
  <aside class="sidebar">
    <div class="workspace">crvs-backup-bot <span class="tag">console</span></div>
    <div class="channel-name"># ${escapeHtml(info.channelName)}</div>
    <h2>You are</h2>
    <form id="people">${peopleHtml()}</form>
    <h2>Rehearse a restore</h2>
    <ol class="howto">
      <li>As <strong>Alice</strong>: <code>/backup</code> and watch its message become the report (details in its thread).</li>
      <li><code>/backup list</code> shows the sets; <code>/restore &lt;label&gt;</code> asks for approval.</li>
      <li>Switch to <strong>Bob</strong>, click <em>Approve restore</em>, confirm. Then <strong>Carol</strong>.</li>
      <li>Watch the card's thread: stores restored, redeploy, <em>Migrations: Done</em>; the card ends as <em>Restored</em>.</li>
    </ol>
    <h2>Local services</h2>
    <ul class="services">${services}</ul>
    <p class="small">Backups: <code>${escapeHtml(info.backupRoot)}</code><br>Manager node: ${escapeHtml(info.managerNode)}</p>
  </aside>
  <main class="channel">
    <header class="channel-header"># ${escapeHtml(info.channelName)} <span class="viewing">viewing as <strong id="viewing-as"></strong></span></header>
    <div id="messages" class="messages" aria-live="polite"></div>
    <form id="command" class="composer" autocomplete="off">
      <input id="command-input" name="text" placeholder="Type a slash command: ${escapeHtml(info.commands.join(', '))} …" aria-label="Slash command">
      <button type="submit" class="btn btn-primary">Send</button>
      <div id="command-error" class="command-error" role="alert"></div>
    </form>
  </main>
</div>
<dialog id="confirm" class="confirm">
  <form method="dialog">
    <h3 id="confirm-title"></h3>
    <div id="confirm-text"></div>
    <div class="confirm-buttons">
      <button value="deny" id="confirm-deny" class="btn"></button>
      <button value="ok" id="confirm-ok" class="btn"></button>
    </div>
  </form>
</dialog>
<script src="/assets/console.js" type="module"></script>
</body>
</html>
`;
}
