-- pilots.md §8: placement by risk tier for employment lasting 3 months,
-- once per client; 100 € once per client for a training referral.
WITH starts AS (
    SELECT *, CAST(occurred_on + INTERVAL 3 MONTH AS DATE) AS mark
    FROM ev WHERE type = 'employment_started' AND client_id IS NOT NULL
      AND event_id NOT IN (SELECT event_id FROM foreign_events)
),
ends AS (
    SELECT provider_id, client_id, employment_id, occurred_on AS ended_on
    FROM ev WHERE type = 'employment_ended'
),
ended_early AS (   -- the same employment, or without an id any of the client's, ended before the mark
    SELECT s.event_id FROM starts s JOIN ends e
        ON e.provider_id = s.provider_id AND e.employment_id = s.employment_id
    WHERE e.ended_on >= s.occurred_on AND e.ended_on < s.mark
    UNION
    SELECT s.event_id FROM starts s JOIN ends e
        ON e.provider_id = s.provider_id AND e.client_id = s.client_id
    WHERE s.employment_id IS NULL AND e.ended_on >= s.occurred_on AND e.ended_on < s.mark
),
placement AS (
    SELECT s.*, en.risk_class,
           CASE en.risk_class WHEN 'high' THEN 90000 WHEN 'medium' THEN 65000
                              WHEN 'low' THEN 45000 END AS amount
    FROM starts s LEFT JOIN enrol en USING (provider_id, client_id)
    WHERE s.event_id NOT IN (SELECT event_id FROM ended_early)
      AND en.risk_class IN ('high', 'medium', 'low')
    QUALIFY row_number() OVER (PARTITION BY s.client_id ORDER BY s.mark, s.ord) = 1
),
referral AS (
    SELECT * FROM ev WHERE type = 'training_referred' AND client_id IS NOT NULL
      AND event_id NOT IN (SELECT event_id FROM foreign_events)
    QUALIFY row_number() OVER (PARTITION BY client_id ORDER BY occurred_on, ord) = 1
)
SELECT 'placement' AS component, provider_id, client_id, mark AS earned_on, amount,
       [event_id] AS event_ids,
       format('placement pays {} to {} for client {}: risk class {}, employment {} from {} lasted to {}',
              amount / 100, provider_id, client_id, risk_class, event_id, occurred_on, mark)
           AS explanation
FROM placement WHERE mark <= DATE '{as_of}'
UNION ALL
SELECT 'training_referral', provider_id, client_id, occurred_on, 10000, [event_id],
       format('training_referral pays 100.00 to {} for client {}: training_referred {} on {}',
              provider_id, client_id, event_id, occurred_on)
FROM referral WHERE occurred_on <= DATE '{as_of}';
