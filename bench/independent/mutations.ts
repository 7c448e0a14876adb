// A few provisioning round-trips through the gateway (placeholder until written).
import type { Dataset } from './dataset.ts';

export async function runMutationChecks(data: Dataset): Promise<void> {
  void data;
}
