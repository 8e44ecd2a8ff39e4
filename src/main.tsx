/**
 * Boot: create the controller (which starts the inference worker), render the page, then load the
 * model the URL or the registry asks for. Side effects live here and in the controller.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { DashboardController } from './ui/controller';
import { App } from './ui/App';
import './ui/app.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element.');

const controller = new DashboardController();
createRoot(container).render(
  <StrictMode>
    <App controller={controller} />
  </StrictMode>,
);
controller.start();
