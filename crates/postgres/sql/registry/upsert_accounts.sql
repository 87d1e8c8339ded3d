-- The last row of an account in the batch wins; an unchanged account is not rewritten.
INSERT INTO accounts (number, address, balance_kopecks, balance_as_of)
SELECT DISTINCT ON (account_number) account_number, address, balance_kopecks, balance_as_of
FROM registry_staging
ORDER BY account_number, ord DESC
ON CONFLICT (number) DO UPDATE SET address = EXCLUDED.address,
    balance_kopecks = EXCLUDED.balance_kopecks, balance_as_of = EXCLUDED.balance_as_of
WHERE (accounts.address, accounts.balance_kopecks, accounts.balance_as_of)
    IS DISTINCT FROM (EXCLUDED.address, EXCLUDED.balance_kopecks, EXCLUDED.balance_as_of)
