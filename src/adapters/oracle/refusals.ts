/** Why the Oracle engine refuses live changes and writing back: said by every command that refuses them. */
export const LIVE_CHANGES_REFUSAL =
  'streaming changes from Oracle (LogMiner) is not implemented, because no Oracle server can run here to test it';
export const WRITE_BACK_REFUSAL =
  'writing changes back into Oracle (fall-back, import data to source) is not implemented, because no Oracle server can run here to test it';
