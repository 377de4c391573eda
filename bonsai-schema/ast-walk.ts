import type { AnyNode, Node } from 'acorn';

/**
 * Every ESTree node below `root` (acorn nodes are plain objects with a `type`), parents before children,
 * in source order. Iterative, so a deeply nested filter cannot overflow the stack.
 */
export function walkAst(root: Node, visit: (node: AnyNode) => void): void {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node as AnyNode);
    const children: Node[] = [];
    for (const key in node) {
      if (key === 'loc') continue;
      const value = (node as unknown as Record<string, unknown>)[key];
      if (isNode(value)) children.push(value);
      else if (Array.isArray(value)) for (const item of value) if (isNode(item)) children.push(item);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}
