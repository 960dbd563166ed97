// js-yaml 4 ships no types; the deploy test needs only loadAll.
declare module 'js-yaml' {
  export function loadAll(text: string): unknown[];
}
