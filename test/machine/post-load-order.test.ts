import { describe, expect, it } from 'vitest';
import { ObjectTree } from '../../src/qom/object-tree.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_CPU, PRIORITY_DEFAULT, PRIORITY_PIC } from '../../src/qom/object.ts';
import { postLoadOrder, runPostLoad } from '../../machine/machine-state.ts';

/** An object that appends its name to `log` on post-load. */
function logging(name: string, log: string[], priority?: number): StateObject {
  const obj: StateObject = { typeName: 'x', stateVersion: 1, visit() {}, postLoad: () => void log.push(name) };
  return priority === undefined ? obj : { ...obj, postLoadPriority: priority };
}

describe('post-load order', () => {
  it('runs higher priorities first, equal ones by path, and follows objects added after a run', () => {
    const log: string[] = [];
    const tree = new ObjectTree();
    tree.add('/machine/b', logging('b', log, PRIORITY_PIC));
    tree.add('/machine/a', logging('a', log));
    tree.add('/machine/c', logging('c', log, PRIORITY_PIC));
    runPostLoad(tree);
    expect(log).toEqual(['b', 'c', 'a']);
    // The order is kept per tree; an object added since must be found, in its place.
    tree.add('/machine/d', logging('d', log, PRIORITY_CPU));
    tree.add('/machine/aa', logging('aa', log, PRIORITY_DEFAULT));
    log.length = 0;
    runPostLoad(tree);
    expect(log).toEqual(['d', 'b', 'c', 'a', 'aa']);
    expect(postLoadOrder(tree)).toEqual(['/machine/d', '/machine/b', '/machine/c', '/machine/a', '/machine/aa']);
    // Each tree has its own order, and the list returned is the caller's.
    const other = new ObjectTree();
    other.add('/machine/z', logging('z', log));
    log.length = 0;
    runPostLoad(other);
    expect(log).toEqual(['z']);
    postLoadOrder(tree).reverse();
    expect(postLoadOrder(tree)[0]).toBe('/machine/d');
  });
});
