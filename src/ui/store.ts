/**
 * The app's one store: plain TypeScript (zustand's vanilla `createStore`), bound to React once, in
 * {@link useAppStore}. Actions are plain functions beside it.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { BackendAttempt, BackendChoice, BackendInfo, BackendName } from '../runtime/backend';

/** Where the app is in its start-up. */
export type AppStatus = 'starting' | 'ready' | 'error';

/** Everything the views read. */
export interface AppState {
  /** The backend running the models; null until chosen. */
  readonly backend: BackendName | null;
  /** Why that backend, in words for the user. */
  readonly reason: string;
  /** What the winning probe learned (SIMD and threads, adapter, ...). */
  readonly info: BackendInfo | null;
  /** Every backend tried, in order. */
  readonly attempts: readonly BackendAttempt[];
  readonly status: AppStatus;
  /** What went wrong, for the user; null unless status is 'error'. */
  readonly error: string | null;
}

const initialState: AppState = {
  backend: null,
  reason: '',
  info: null,
  attempts: [],
  status: 'starting',
  error: null,
};

/** The store itself, for code outside React (boot, workers' message handlers, tests). */
export const appStore = createStore<AppState>()(() => initialState);

/** Records the chosen backend; the app is then ready. */
export function setBackendChoice(choice: BackendChoice): void {
  appStore.setState({
    backend: choice.backend,
    reason: choice.reason,
    info: choice.info,
    attempts: choice.attempts,
    status: 'ready',
    error: null,
  });
}

/** Records a failure that stops the app. */
export function setAppError(error: unknown): void {
  appStore.setState({
    status: 'error',
    error: error instanceof Error ? error.message : String(error),
  });
}

/** Back to the state before start-up (for tests). */
export function resetAppStore(): void {
  appStore.setState(initialState, true);
}

/** The React binding: re-renders the caller only when the selected slice changes. */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}
