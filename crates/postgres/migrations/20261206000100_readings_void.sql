-- The operator's void of a wrong reading (`vodokanal readings void`): the reading is kept with
-- the time and reason of the void, and its meter and period are free for a new reading. One
-- live (not voided) reading per meter and period: the unique constraint becomes a partial
-- unique index on the live readings, and the upserts name it (`ON CONFLICT (meter_number,
-- period) WHERE voided_at IS NULL`).

ALTER TABLE readings
    ADD COLUMN voided_at   TIMESTAMPTZ NULL,
    ADD COLUMN void_reason TEXT NULL,
    ADD CONSTRAINT readings_void_whole CHECK ((voided_at IS NULL) = (void_reason IS NULL));

CREATE UNIQUE INDEX readings_live_meter_period_key ON readings (meter_number, period)
    WHERE voided_at IS NULL;

ALTER TABLE readings DROP CONSTRAINT readings_meter_number_period_key;
