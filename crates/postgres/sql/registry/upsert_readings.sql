-- A meter's last reading becomes the registry's reading of its period; it replaces only a
-- live registry reading of that period, never a subscriber's (ADR 0007,
-- `ReadingSource::replaces`).
INSERT INTO readings (id, account_number, meter_number, period, value_litres,
    previous_litres, consumption_litres, submitted_at, source, warnings, user_id,
    submitter_name, submitter_phone)
SELECT DISTINCT ON (meter_number, reading_period) gen_random_uuid(), account_number,
    meter_number, reading_period, reading_litres, NULL, NULL, reading_at, 'registry', '',
    NULL, NULL, NULL
FROM registry_staging
WHERE meter_number IS NOT NULL AND reading_period IS NOT NULL
ORDER BY meter_number, reading_period, ord DESC
ON CONFLICT (meter_number, period) WHERE voided_at IS NULL DO UPDATE SET
    account_number = EXCLUDED.account_number, value_litres = EXCLUDED.value_litres,
    submitted_at = EXCLUDED.submitted_at
WHERE readings.source = 'registry'
    AND (readings.account_number, readings.value_litres, readings.submitted_at)
    IS DISTINCT FROM (EXCLUDED.account_number, EXCLUDED.value_litres, EXCLUDED.submitted_at)
