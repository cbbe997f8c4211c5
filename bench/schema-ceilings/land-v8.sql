-- the landing statement after V8 (BronzeWriter.LAND): delivery claim + bronze.events with block ids + one promotion_batches row
\set r random(1, 1000000000000)
WITH batch AS MATERIALIZED (SELECT nextval('bronze.landing_batch_seq') AS batch_id, now() AS received_at),
delivery AS (SELECT 0 AS req, 'bench' AS partner, 'msg-' || :r AS webhook_id, 202 AS status, '{"accepted":100}' AS response),
claimed AS (
  INSERT INTO bronze.webhook_deliveries (partner, webhook_id, received_at, status, response)
  SELECT d.partner, d.webhook_id, b.received_at, d.status, d.response::jsonb FROM delivery d, batch b
  ON CONFLICT DO NOTHING RETURNING partner, webhook_id
), refused AS MATERIALIZED (
  SELECT d.req FROM delivery d WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE c.partner = d.partner AND c.webhook_id = d.webhook_id)
), landed AS (
  INSERT INTO bronze.events (id, event_id, event_type, channel, source, received_at, payload, headers, payload_hash)
  SELECT b.batch_id * 65536 + g - 1, 'e-' || :r || '-' || g, 'product_view', 'webhook', 'bench', b.received_at,
    format('{"event_id":"e-%s-%s","event_type":"product_view","occurred_at":"2026-11-20T10:00:00Z","user_id":"user-%s","session_id":"s-%s","product":{"sku":"SKU-%s","name":"Stoneware mug, 350 ml","category":"kitchen","brand":"Acme","price":12.5,"currency":"EUR"},"context":{"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36","locale":"en-GB"},"page":{"url":"https://shop.example/p/SKU-%s","referrer":"https://search.example/?q=mug"}}', :r, g, g, g, g, g)::jsonb,
    '{"webhook-id":"x","webhook-timestamp":"1"}'::jsonb, decode(md5(:r::text || g), 'hex')
  FROM batch b, generate_series(1, 100) g WHERE 0 NOT IN (SELECT req FROM refused)
  RETURNING 1
), queued AS (
  INSERT INTO bronze.promotion_batches (batch_id, received_at, events)
  SELECT b.batch_id, b.received_at, n.events FROM batch b, (SELECT count(*) AS events FROM landed) n WHERE n.events > 0
  RETURNING events
)
SELECT coalesce((SELECT events FROM queued), 0);
