/** The error banner (data-testid="error") and the transient notice (data-testid="notice"). */
import { dismissError, useAppStore } from './store';

/** The current error, with a close button unless it stopped the app. */
export function ErrorBanner() {
  const error = useAppStore((s) => s.error);
  const fatal = useAppStore((s) => s.status === 'error');
  if (error === null) return null;
  return (
    <div className="message message-error" role="alert" data-origin={error.origin}>
      <span className="message-icon" aria-hidden="true">
        !
      </span>
      <p data-testid="error">{error.text}</p>
      {!fatal && (
        <button type="button" className="ghost" onClick={dismissError} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

/** The latest notice; the controller removes it after a few seconds. */
export function NoticeToast() {
  const notice = useAppStore((s) => s.notice);
  if (notice === null) return null;
  return (
    <div className="toast" role="status" data-testid="notice" data-reason={notice.reason}>
      {notice.text}
    </div>
  );
}
