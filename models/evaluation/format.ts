/** The evaluation snapshot file format (credit and collateral snapshots, told apart by `kind`). */
export const SNAPSHOT_FORMAT = 'risk-oracle/snapshot@1';
