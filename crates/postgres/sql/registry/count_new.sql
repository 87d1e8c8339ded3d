-- Before the upserts: how many rows are new (their account, and their meter if any, not
-- stored yet), and how many rows there are. Index probes, one per row and key.
SELECT count(*) FILTER (WHERE NOT EXISTS
        (SELECT 1 FROM accounts a WHERE a.number = s.account_number)
    AND (s.meter_number IS NULL OR NOT EXISTS
        (SELECT 1 FROM meters m WHERE m.number = s.meter_number))) AS inserted,
    count(*) AS total
FROM registry_staging s
