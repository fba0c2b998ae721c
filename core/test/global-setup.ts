/** Jest global setup: nothing to start (each test file starts its own anvil and database). */
export default async function globalSetup(): Promise<void> {
  process.env.RISK_ORACLE_TEST = '1';
}
