import type { Definition, Nodes, Parents, Root } from 'mdast';

/**
 * Replaces reference links and images by inline ones and drops the definitions: the other formats
 * have inline links only. A reference without a definition stays as the text it was written as.
 */
export function inlineReferences(tree: Root): Root {
  const definitions = new Map<string, Definition>();
  collect(tree, definitions);
  rewrite(tree, definitions);
  return tree;
}

function collect(node: Nodes, into: Map<string, Definition>): void {
  if (node.type === 'definition' && !into.has(node.identifier)) into.set(node.identifier, node);
  if ('children' in node) for (const child of node.children) collect(child, into);
}

function rewrite(node: Nodes, definitions: Map<string, Definition>): void {
  if (!('children' in node)) return;
  const children: Nodes[] = [];
  for (const child of node.children as Nodes[]) {
    if (child.type === 'definition') continue;
    if (child.type === 'linkReference' || child.type === 'imageReference') {
      const target = definitions.get(child.identifier);
      if (!target) {
        children.push({ type: 'text', value: child.type === 'imageReference' ? `![${child.alt ?? ''}]` : `[${child.label ?? child.identifier}]` });
        continue;
      }
      children.push(child.type === 'linkReference'
        ? { type: 'link', url: target.url, title: target.title ?? null, children: child.children }
        : { type: 'image', url: target.url, title: target.title ?? null, alt: child.alt ?? '' });
    } else {
      children.push(child);
    }
    rewrite(children.at(-1)!, definitions);
  }
  (node as Parents).children = children as Parents['children'];
}
