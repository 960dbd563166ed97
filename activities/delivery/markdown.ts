/**
 * The small subset of Markdown our notifications use (headings, **bold**, *italic*, `code`, [links](url),
 * "- " bullets, paragraphs), rendered for Slack mrkdwn and for e-mail HTML. Deliberately minimal: anything
 * else passes through as text, which both targets display legibly.
 */

const LINK = /\[([^\]]+)\]\(([^)\s]+)\)/g;

/** Slack mrkdwn: *bold*, _italic_, <url|text>; Slack wants &, <, > escaped in text. */
export function toSlackMrkdwn(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      const heading = /^#{1,6}\s+(.*)$/.exec(line);
      const body = heading ? `**${heading[1]}**` : line.replace(/^(\s*)[-*+]\s+/, '$1• ');
      return slackInline(body);
    })
    .join('\n');
}

function slackInline(line: string): string {
  const links: string[] = [];
  const withoutLinks = line.replace(LINK, (_all, text: string, url: string) => {
    links.push(`<${url}|${escapeSlack(text)}>`);
    return `\uE000${links.length - 1}\uE000`;
  });
  return escapeSlack(withoutLinks)
    .replace(/\*\*([^*]+)\*\*/g, '\uE001$1\uE001')
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, '$1_$2_')
    .replace(/\uE001/g, '*')
    .replace(/\uE000(\d+)\uE000/g, (_all, index: string) => links[Number(index)] ?? '');
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlInline(text: string): string {
  const links: string[] = [];
  const withoutLinks = text.replace(LINK, (_all, label: string, url: string) => {
    const safe = /^(https?:|mailto:)/i.test(url) ? url : '#';
    links.push(`<a href="${escapeHtml(safe)}">${escapeHtml(label)}</a>`);
    return `\uE000${links.length - 1}\uE000`;
  });
  return escapeHtml(withoutLinks)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/\uE000(\d+)\uE000/g, (_all, index: string) => links[Number(index)] ?? '');
}

/** A complete, self-contained HTML fragment: headings, lists and paragraphs. */
export function toHtml(markdown: string): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(htmlInline).join('<br>')}</p>`);
    if (list.length) out.push(`<ul>${list.map((item) => `<li>${htmlInline(item)}</li>`).join('')}</ul>`);
    paragraph = [];
    list = [];
  };
  for (const line of markdown.split('\n')) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(6, (heading[1] ?? '#').length);
      out.push(`<h${level}>${htmlInline(heading[2] ?? '')}</h${level}>`);
    } else if (bullet) {
      if (paragraph.length) flush();
      list.push(bullet[1] ?? '');
    } else if (line.trim() === '') {
      flush();
    } else {
      if (list.length) flush();
      paragraph.push(line);
    }
  }
  flush();
  return out.join('\n');
}
