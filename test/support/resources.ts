const open = new Map<number, string>();
let next = 0;

/** Registers a resource a test must close; returns the function that marks it closed. */
export function track(name: string): () => void {
  const id = next++;
  open.set(id, name);
  return () => void open.delete(id);
}

export const openResources = () => [...open.values()];
