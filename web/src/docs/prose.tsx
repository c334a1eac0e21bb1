// The little Markdown the document's descriptions use (CommonMark subset): paragraphs,
// "- " lists, `code`, **bold**, *emphasis* and [links](url). Built as elements, never as
// HTML text, so a description cannot inject markup.
import type { ComponentChildren } from "preact";

const INLINE = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*|\[[^\]]+\]\([^)\s]+\))/g;

function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const token = m[0];
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    if (token.startsWith("`")) out.push(<code>{token.slice(1, -1)}</code>);
    else if (token.startsWith("**")) out.push(<strong>{inline(token.slice(2, -2))}</strong>);
    else if (token.startsWith("*")) out.push(<em>{inline(token.slice(1, -1))}</em>);
    else {
      const close = token.indexOf("](");
      const href = token.slice(close + 2, -1);
      const safe = /^(https?:|\/|#)/.test(href) ? href : "#";
      out.push(<a href={safe}>{inline(token.slice(1, close))}</a>);
    }
    last = at + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Prose(props: { text?: string }) {
  const text = (props.text ?? "").trim();
  if (!text) return null;
  const blocks = text.split(/\n\s*\n/);
  return (
    <>
      {blocks.map((block) => {
        const lines = block.split("\n");
        if (lines.every((l) => /^\s*[-*] /.test(l))) {
          return (
            <ul>
              {lines.map((l) => (
                <li>{inline(l.replace(/^\s*[-*] /, ""))}</li>
              ))}
            </ul>
          );
        }
        return <p>{inline(lines.join(" "))}</p>;
      })}
    </>
  );
}
