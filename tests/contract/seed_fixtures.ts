// Payloads copied from the seeds (/work/shared/seeds), shared by the suites that send or check them.

/** The cash & carry position of seed 003, as its clients send and read it. */
export const SEED_003_POSITION = {
  position_id: 'pos-1',
  symbol: 'BTC/USDT',
  status: 'open',
  spot_entry_price: '45000.00',
  perp_entry_price: '45010.00',
  spot_quantity: '0.1',
  perp_quantity: '0.1',
  unrealized_pnl: '50.25',
  funding_collected: '12.50',
} as const;
