/** Hands the one {@link DashboardController} to the components that act (buttons, pickers). */
import { createContext, useContext } from 'react';
import type { DashboardController } from './controller';

/** Set once, by the app's root. */
export const ControllerContext = createContext<DashboardController | null>(null);

/** The controller; throws outside the provider (a wiring mistake). */
export function useController(): DashboardController {
  const controller = useContext(ControllerContext);
  if (controller === null) throw new Error('useController needs a ControllerContext provider.');
  return controller;
}
