export {
  createDashboardChain,
  type ChainEpoch,
  type ChainDispute,
  type ChainParameterEvent,
  type ChainSubmission,
  type ChainTransaction,
  type DashboardChain,
  type DashboardContracts,
  type RegistryModel,
} from './chain';
export {
  createChartCache,
  driftChart,
  driftFigures,
  parameterChart,
  priceChart,
  renderCharts,
  scoreChart,
  shadowChart,
  type DashboardCharts,
} from './charts';
export { gatherSnapshot, type GatherOptions } from './gather';
export { renderPage, type PageOptions } from './page';
export { createDashboard, type Dashboard, type DashboardOptions, type DashboardView } from './routes';
export { renderSections, type Section } from './sections';
export type * from './types';
export { createDashboardVerifier, type DashboardVerifier } from './verify';
