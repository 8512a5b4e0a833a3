/**
 * A small typed event emitter: a capability announces what happened (the session locked, a grant
 * ended) and the capabilities that care subscribe themselves, so the composition root does not
 * relay events by hand. A listener that throws never stops the others or the emitter; the failure
 * goes to `onListenerError`, which logs it.
 */
export type EventMap = Record<string, unknown>;

export interface Emitter<Events extends EventMap> {
  /** Calls `listener` for every `event` until the returned function is called. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void;
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
  /** Drops every listener (the owner is closing). */
  clear(): void;
}

/** The subscribing half, for handing to others: they may listen but not emit. */
export type Events<E extends EventMap> = Pick<Emitter<E>, 'on'>;

export function createEmitter<Events extends EventMap>(
  onListenerError: (event: string, error: unknown) => void,
): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => void set.delete(listener as (payload: never) => void);
    },
    emit(event, payload) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          (listener as (payload: Events[typeof event]) => void)(payload);
        } catch (error) {
          onListenerError(String(event), error);
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
