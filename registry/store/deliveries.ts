import type { Queryable } from '../db/port.js';

/**
 * Records a webhook delivery id; false when it was already recorded (a replay or GitHub's redelivery of
 * an accepted delivery), in which case it must not be processed again.
 */
export async function recordDelivery(
  q: Queryable,
  delivery: { id: string; event: string; assetId: number | null },
): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO webhook_deliveries (delivery_id, event, asset_id) VALUES ($1, $2, $3)
     ON CONFLICT (delivery_id) DO NOTHING`,
    [delivery.id, delivery.event, delivery.assetId],
  );
  return rowCount === 1;
}

export async function linkDeliveryToJob(q: Queryable, deliveryId: string, jobId: number): Promise<void> {
  await q.query('UPDATE webhook_deliveries SET job_id = $2 WHERE delivery_id = $1', [deliveryId, jobId]);
}
