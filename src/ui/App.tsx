/**
 * The page: header (status, backend), messages, then the dashboard grid: source and video,
 * predictions and model controls, the timeline, performance, cost and backend. State comes from
 * the store; per-frame figures are painted from the live feed by each panel.
 */
import { BackendPanel } from './BackendPanel';
import { ControllerContext } from './controller-context';
import type { DashboardController } from './controller';
import { ErrorBanner, NoticeToast } from './Messages';
import { CostPanel, PerformancePanel } from './Metrics';
import { ModelPanel } from './ModelPanel';
import { Predictions } from './Predictions';
import { SourcePanel } from './SourcePanel';
import { LoadProgress, StatusPill } from './StatusBar';
import { Timeline } from './Timeline';

/** The app's root component. */
export function App(props: { readonly controller: DashboardController }) {
  return (
    <ControllerContext value={props.controller}>
      <div className="app">
        <header className="topbar">
          <div className="brand">
            <span className="logo" aria-hidden="true" />
            <div>
              <h1>continual-video</h1>
              <p className="tagline">
                Action recognition in live video, computed in this page: frames never leave it.
              </p>
            </div>
          </div>
          <StatusPill />
        </header>
        <LoadProgress />
        <div className="messages">
          <ErrorBanner />
          <NoticeToast />
        </div>
        <main className="grid">
          <div className="col-main">
            <SourcePanel />
            <Timeline />
          </div>
          <div className="col-side">
            <ModelPanel />
            <Predictions />
          </div>
          <div className="row-metrics">
            <PerformancePanel />
            <CostPanel />
            <BackendPanel />
          </div>
        </main>
        <footer className="footer muted small">
          Continual Inference Networks on TF.js: each new frame costs one step, not a whole clip.
        </footer>
      </div>
    </ControllerContext>
  );
}
