// The console page's only script: polls the channel as the chosen user, sends slash commands and
// button clicks to the console server (which signs them and sends them to the bot as Slack would),
// and shows Block Kit confirmation dialogs before a button that asks for one.
const messages = document.getElementById('messages');
const form = document.getElementById('command');
const input = document.getElementById('command-input');
const errorBox = document.getElementById('command-error');
const dialog = document.getElementById('confirm');
const viewing = document.getElementById('viewing-as');

let user = localStorage.getItem('crvs-console-user') || 'UALICE';
let version = '';
let timer;

function personInput(id) {
  return document.querySelector(`#people input[value="${id}"]`);
}

function chooseUser(id) {
  const radio = personInput(id) || personInput('UALICE');
  radio.checked = true;
  user = radio.value;
  viewing.textContent = radio.dataset.name;
  localStorage.setItem('crvs-console-user', user);
  // Says whose view is shown: cleared until the new user's view has arrived.
  messages.dataset.user = '';
  version = '';
  refresh();
}

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
  return data;
}

async function refresh() {
  clearTimeout(timer);
  try {
    const res = await fetch(`/api/view?user=${encodeURIComponent(user)}&v=${encodeURIComponent(version)}`);
    if (res.status === 200) {
      const data = await res.json();
      if (data.user === user) {
        const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
        messages.innerHTML = data.html;
        messages.dataset.user = data.user;
        version = data.v;
        if (atBottom) messages.scrollTop = messages.scrollHeight;
      }
    }
    document.body.classList.remove('offline');
  } catch {
    document.body.classList.add('offline');
  }
  timer = setTimeout(refresh, 700);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  errorBox.textContent = '';
  input.value = '';
  const result = await post('/api/command', { user, text });
  if (!result.ok) errorBox.textContent = result.error;
  refresh();
});

function confirmFirst(button) {
  return new Promise((resolve) => {
    const d = button.dataset;
    document.getElementById('confirm-title').textContent = d.confirmTitle;
    // Rendered and escaped by the server (mrkdwn → HTML).
    document.getElementById('confirm-text').innerHTML = d.confirmText;
    const ok = document.getElementById('confirm-ok');
    ok.textContent = d.confirmOk;
    ok.className = `btn btn-${d.confirmStyle || 'primary'}`;
    document.getElementById('confirm-deny').textContent = d.confirmDeny;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

messages.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action-id]');
  if (!button || button.disabled) return;
  if (button.dataset.confirmTitle && !(await confirmFirst(button))) return;
  button.disabled = true;
  const result = await post('/api/click', { user, ts: button.dataset.ts, actionId: button.dataset.actionId });
  if (!result.ok) errorBox.textContent = result.error;
  refresh();
});

document.getElementById('people').addEventListener('change', (event) => chooseUser(event.target.value));
chooseUser(user);
input.focus();
