/**
 * Boot: render the page, then pick and start the compute backend and record the outcome in the
 * store. Side effects live here, at the edge.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initBackend } from './runtime/init-backend';
import { App } from './ui/App';
import { setAppError, setBackendChoice } from './ui/store';
import './ui/app.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element.');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

initBackend({ search: location.search }).then(setBackendChoice, setAppError);
