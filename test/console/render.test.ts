/** The console's Block Kit and mrkdwn rendering: what a reader sees, and nothing the bot sent runs as HTML. */
import { describe, expect, it } from 'vitest';
import { messageBodyHtml } from '../../src/console/blocks-html.ts';
import { mrkdwnToHtml } from '../../src/console/mrkdwn.ts';

const names = (id: string): string | undefined => ({ UBOB: 'Bob', CCONSOLE01: 'opencrvs-ops' })[id];

describe('mrkdwn', () => {
  it('renders Slack formatting, mentions, links and emoji', () => {
    const html = mrkdwnToHtml('*Restore of `set-1`* by <@UBOB> in <#CCONSOLE01> :white_check_mark: _done_ ~old~ <https://x.test/a|the docs>', names);
    expect(html).toContain('<strong>Restore of <code>set-1</code></strong>');
    expect(html).toContain('<span class="mention">@Bob</span>');
    expect(html).toContain('#opencrvs-ops');
    expect(html).toContain('✅');
    expect(html).toContain('<em>done</em>');
    expect(html).toContain('<del>old</del>');
    expect(html).toContain('<a href="https://x.test/a" target="_blank" rel="noreferrer noopener">the docs</a>');
  });

  it('keeps underscores inside names and code literal', () => {
    expect(mrkdwnToHtml('hearth_dev and `a_b_c` :hourglass_flowing_sand:')).toBe('hearth_dev and <code>a_b_c</code> ⏳');
  });

  it('shows Slack dates with their format, and the fallback when the time is unreadable', () => {
    expect(mrkdwnToHtml('<!date^1795651200^{date_num}|fallback>')).toMatch(/<span class="date">2026-11-2\d<\/span>/);
    expect(mrkdwnToHtml('<!date^soon^{date_num}|in a while>')).toContain('in a while');
  });

  it('escapes HTML in text, code, labels and link targets', () => {
    const html = mrkdwnToHtml('<img src=x onerror=alert(1)> `<b>` <@U1|<i>x</i>> <javascript:alert(1)|click>');
    expect(html).not.toMatch(/<img|<b>|<i>|href="javascript/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('Block Kit', () => {
  it('draws header, fields, context, divider and buttons with style and a confirmation', () => {
    const html = messageBodyHtml(
      {
        text: 'fallback',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Restore request: set-1' } },
          { type: 'section', fields: [{ type: 'mrkdwn', text: '*Requested by*\n<@UBOB>' }] },
          { type: 'divider' },
          { type: 'context', elements: [{ type: 'mrkdwn', text: 'Request `r1`' }] },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'restore_approve',
                style: 'danger',
                text: { type: 'plain_text', text: 'Approve restore' },
                confirm: { title: { type: 'plain_text', text: 'Sure?' }, text: { type: 'mrkdwn', text: 'Replaces `set-1` "now"' }, confirm: { type: 'plain_text', text: 'Approve' }, deny: { type: 'plain_text', text: 'Back' } },
              },
            ],
          },
          { type: 'video', title: 'x' },
        ],
      },
      { nameOf: names, ts: '1.000001' },
    );
    expect(html).toContain('<div class="block header">Restore request: set-1</div>');
    expect(html).toContain('<div class="fields"><div><strong>Requested by</strong><br><span class="mention">@Bob</span></div></div>');
    expect(html).toContain('<hr class="block divider">');
    expect(html).toContain('class="btn btn-danger" data-action-id="restore_approve" data-ts="1.000001"');
    // The dialog's text is rendered mrkdwn, escaped once more to sit in an attribute.
    expect(html).toContain('data-confirm-text="Replaces &lt;code&gt;set-1&lt;/code&gt; &amp;quot;now&amp;quot;"');
    expect(html).toContain('[video block not shown by the console]');
  });

  it('shows the text of a message without blocks, and inert buttons in ephemerals', () => {
    expect(messageBodyHtml({ text: ':x: failed', blocks: [] }, { nameOf: names, ts: undefined })).toContain('❌ failed');
    const eph = messageBodyHtml({ text: '', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' } }] }] }, { nameOf: names, ts: undefined });
    expect(eph).toContain('disabled');
    expect(eph).not.toContain('data-ts');
  });
});
