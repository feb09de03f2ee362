// Errors shared by the market-data adapters (Polygon, Alpaca).
import { KobeError } from '../errors.js';

/** The provider answered, but not with usable bars for one symbol; the run goes on with the others. */
export class ProviderError extends KobeError {
  override readonly code = 'PROVIDER_ERROR';
}
