-- pilots.md §11: start fee 30 000 € per provider; 2 000 € per recruited client,
-- 400 € per client directed to recruitment training; the two results share a
-- budget of 30 000 € per provider, used up in earning order.
WITH firsts AS (
    SELECT * FROM ev
    WHERE client_id IS NOT NULL AND (type = 'employment_started'
                                     OR (type = 'training_referred' AND training = 'recruitment_training'))
      AND event_id NOT IN (SELECT event_id FROM foreign_events)
    QUALIFY row_number() OVER (PARTITION BY type, client_id ORDER BY occurred_on, ord) = 1
),
start_fee AS (
    SELECT * FROM ev WHERE type = 'milestone_reached' AND milestone = 'contract_started'
    QUALIFY row_number() OVER (PARTITION BY provider_id ORDER BY occurred_on, ord) = 1
),
results AS (
    SELECT CASE type WHEN 'employment_started' THEN 'recruitment' ELSE 'training_referral' END
               AS component,
           CASE type WHEN 'employment_started' THEN 1 ELSE 2 END AS component_no,
           provider_id, client_id, occurred_on AS earned_on, ord, event_id,
           CASE type WHEN 'employment_started' THEN 200000 ELSE 40000 END AS full_amount
    FROM firsts WHERE occurred_on <= DATE '{as_of}'
),
budget AS (
    SELECT *, sum(full_amount) OVER (
                  PARTITION BY provider_id ORDER BY earned_on, ord, component_no
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - full_amount AS used_before
    FROM results
),
capped AS (   -- min(amount, max(0, budget - used)): each sees what earlier ones were paid
    SELECT *, least(full_amount, greatest(0, 3000000 - used_before)) AS amount FROM budget
)
SELECT 'start_fee' AS component, provider_id, client_id, occurred_on AS earned_on,
       CAST(3000000 AS BIGINT) AS amount, [event_id] AS event_ids,
       format('start_fee pays 30000.00 to {}: milestone contract_started {} on {}',
              provider_id, event_id, occurred_on) AS explanation
FROM start_fee WHERE occurred_on <= DATE '{as_of}'
UNION ALL
SELECT component, provider_id, client_id, earned_on, CAST(amount AS BIGINT), [event_id],
       format('{} pays {} to {} for client {}: {} on {}{}', component, amount / 100, provider_id,
              client_id, event_id, earned_on,
              CASE WHEN amount < full_amount
                   THEN format('; cut from {} by result_budget', full_amount / 100) ELSE '' END)
FROM capped;
