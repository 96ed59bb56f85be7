/**
 * V8's own view of objects, for the tests that check what V8 keeps of ours through garbage
 * collections (hidden classes): flags set at run time apply to code compiled after them (the
 * Function below) and to contexts made after them (the one gc() comes from).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface V8Natives {
  /** A full garbage collection. */
  gc: () => void;
  /** Whether two objects have the same hidden class (map). */
  sameMap: (a: object, b: object) => boolean;
}

export function v8Natives(): V8Natives {
  setFlagsFromString('--allow-natives-syntax');
  setFlagsFromString('--expose-gc');
  return {
    gc: runInNewContext('gc') as () => void,
    sameMap: new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean,
  };
}
