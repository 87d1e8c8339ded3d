-- The last row of a meter in the batch wins; a meter listed under another account moves
-- there; an unchanged meter is not rewritten.
INSERT INTO meters (number, account_number, service, verification_due)
SELECT DISTINCT ON (meter_number) meter_number, account_number, service, verification_due
FROM registry_staging
WHERE meter_number IS NOT NULL
ORDER BY meter_number, ord DESC
ON CONFLICT (number) DO UPDATE SET account_number = EXCLUDED.account_number,
    service = EXCLUDED.service, verification_due = EXCLUDED.verification_due
WHERE (meters.account_number, meters.service, meters.verification_due)
    IS DISTINCT FROM (EXCLUDED.account_number, EXCLUDED.service, EXCLUDED.verification_due)
