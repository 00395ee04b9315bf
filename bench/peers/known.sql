-- The events a scheme reads, as known on {as_of}: recorded on or before it,
-- voids applied, numbered in event order (occurred_on, recorded_at, event_id).
-- {events} is the input relation, {types} the event types the scheme reads.
CREATE OR REPLACE TEMP TABLE ev AS
WITH raw AS (
    SELECT *, coalesce(CAST(recorded_at AS TIMESTAMP), CAST(occurred_on AS TIMESTAMP)) AS recorded
    FROM {events}
),
seen AS (
    SELECT * FROM raw WHERE recorded < DATE '{as_of}' + INTERVAL 1 DAY
)
SELECT * EXCLUDE (recorded_at, recorded), recorded AS recorded_at,
       row_number() OVER (ORDER BY occurred_on, recorded, event_id) AS ord
FROM seen
WHERE type IN ('enrolled', {types})
  AND event_id NOT IN (SELECT voids FROM seen WHERE type = 'event_voided' AND voids IS NOT NULL);

-- a client's attributes: its first enrolment with the provider
CREATE OR REPLACE TEMP TABLE enrol AS
SELECT provider_id, client_id, occurred_on AS enrolled_on, risk_class
FROM ev
WHERE type = 'enrolled' AND client_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY provider_id, client_id ORDER BY ord) = 1;

-- trust.clients: own: an event earns nothing for a provider that has not enrolled
-- the client while another has, nor one dated before its provider enrolled the
-- client when another provider had enrolled it by then
CREATE OR REPLACE TEMP TABLE foreign_events AS
WITH first_enrol AS (SELECT client_id, min(enrolled_on) AS first_on FROM enrol GROUP BY client_id)
SELECT ev.event_id
FROM ev JOIN first_enrol f USING (client_id)
LEFT JOIN enrol own ON own.provider_id = ev.provider_id AND own.client_id = ev.client_id
WHERE ev.type <> 'enrolled'
  AND (own.client_id IS NULL OR (own.enrolled_on > ev.occurred_on AND f.first_on <= ev.occurred_on));
