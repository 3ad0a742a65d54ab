/**
 * Block Kit → HTML for the console page: header, section (text, fields, button accessory),
 * context, divider, actions with buttons (style, confirm dialog). Blocks arrive from the bot as
 * JSON, so each is parsed with zod; a block the console cannot draw is shown as such, never hidden.
 */
import { z } from 'zod';
import { escapeHtml, mrkdwnToHtml, plainToHtml, type NameOf } from './mrkdwn.ts';

const textObject = z.object({ type: z.enum(['mrkdwn', 'plain_text']), text: z.string(), emoji: z.boolean().optional() });
type TextObject = z.infer<typeof textObject>;

const confirmSchema = z.object({
  title: textObject.optional(),
  text: textObject,
  confirm: textObject.optional(),
  deny: textObject.optional(),
  style: z.enum(['primary', 'danger']).optional(),
});

const buttonSchema = z.object({
  type: z.literal('button'),
  action_id: z.string(),
  text: textObject,
  value: z.string().optional(),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: confirmSchema.optional(),
});
type Button = z.infer<typeof buttonSchema>;

const contextElement = z.union([textObject, z.object({ type: z.literal('image'), alt_text: z.string() })]);

const blockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: textObject }),
  z.object({ type: z.literal('divider') }),
  z.object({
    type: z.literal('section'),
    text: textObject.optional(),
    fields: z.array(textObject).optional(),
    accessory: z.unknown().optional(),
  }),
  z.object({ type: z.literal('context'), elements: z.array(contextElement) }),
  z.object({ type: z.literal('actions'), elements: z.array(z.unknown()) }),
]);

/** Where the message sits: buttons need the message's ts to be clicked. */
export interface RenderContext {
  nameOf: NameOf;
  /** The channel message holding the blocks; undefined for ephemerals (their buttons are inert). */
  ts: string | undefined;
}

function text(t: TextObject, ctx: RenderContext): string {
  return t.type === 'mrkdwn' ? mrkdwnToHtml(t.text, ctx.nameOf) : plainToHtml(t.text, t.emoji !== false);
}

function button(b: Button, ctx: RenderContext): string {
  const attrs = [`class="btn${b.style ? ` btn-${b.style}` : ''}"`, `data-action-id="${escapeHtml(b.action_id)}"`];
  if (ctx.ts) attrs.push(`data-ts="${escapeHtml(ctx.ts)}"`);
  else attrs.push('disabled title="Buttons of messages only you can see are not clickable in the console"');
  if (b.confirm) {
    const c = b.confirm;
    attrs.push(
      `data-confirm-title="${escapeHtml(c.title?.text ?? 'Are you sure?')}"`,
      `data-confirm-text="${escapeHtml(text(c.text, ctx))}"`,
      `data-confirm-ok="${escapeHtml(c.confirm?.text ?? 'Yes')}"`,
      `data-confirm-deny="${escapeHtml(c.deny?.text ?? 'Cancel')}"`,
      `data-confirm-style="${c.style ?? 'primary'}"`,
    );
  }
  return `<button type="button" ${attrs.join(' ')}>${plainToHtml(b.text.text)}</button>`;
}

function element(raw: unknown, ctx: RenderContext): string {
  const b = buttonSchema.safeParse(raw);
  if (b.success) return button(b.data, ctx);
  const type = (raw as { type?: unknown } | null)?.type;
  return `<span class="unsupported">[${escapeHtml(String(type ?? 'element'))} not shown by the console]</span>`;
}

function block(raw: unknown, ctx: RenderContext): string {
  const parsed = blockSchema.safeParse(raw);
  if (!parsed.success) {
    const type = (raw as { type?: unknown } | null)?.type;
    return `<div class="block unsupported">[${escapeHtml(String(type ?? 'unknown'))} block not shown by the console]</div>`;
  }
  const b = parsed.data;
  switch (b.type) {
    case 'header':
      return `<div class="block header">${plainToHtml(b.text.text)}</div>`;
    case 'divider':
      return '<hr class="block divider">';
    case 'context':
      return `<div class="block context">${b.elements.map((e) => (e.type === 'image' ? `<span>[${escapeHtml(e.alt_text)}]</span>` : `<span>${text(e, ctx)}</span>`)).join(' ')}</div>`;
    case 'actions':
      return `<div class="block actions">${b.elements.map((e) => element(e, ctx)).join('')}</div>`;
    case 'section': {
      const body = b.text ? `<div class="section-text">${text(b.text, ctx)}</div>` : '';
      const fields = b.fields?.length ? `<div class="fields">${b.fields.map((f) => `<div>${text(f, ctx)}</div>`).join('')}</div>` : '';
      const accessory = b.accessory === undefined ? '' : `<div class="accessory">${element(b.accessory, ctx)}</div>`;
      return `<div class="block section"><div class="section-main">${body}${fields}</div>${accessory}</div>`;
    }
  }
}

/** A message body: its blocks, or its text when it has none (as Slack shows it). */
export function messageBodyHtml(msg: { text: string; blocks: unknown[] }, ctx: RenderContext): string {
  if (msg.blocks.length === 0) return `<div class="block section"><div class="section-text">${mrkdwnToHtml(msg.text, ctx.nameOf)}</div></div>`;
  return msg.blocks.map((b) => block(b, ctx)).join('');
}
